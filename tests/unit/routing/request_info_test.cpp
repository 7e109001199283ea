#include "routing/request_info.hpp"

#include <string>

#include <gtest/gtest.h>

namespace corral::routing {
namespace {

RequestInfo extract(std::string_view path, std::string body, http::verb method = http::verb::post) {
  const Route route = route_request(method, path);
  return extract_request_info(route, body);
}

TEST(RequestInfo, ModelStreamAndDefaults) {
  auto info = extract("/api/generate", R"({"model":"Llama3","prompt":"hi"})");
  ASSERT_TRUE(info.ok()) << info.error_message;
  EXPECT_EQ(info.model, "Llama3");  // as sent
  EXPECT_EQ(info.model_key, "llama3:latest");
  EXPECT_TRUE(info.stream);  // native default
  EXPECT_FALSE(info.empty_input);
  EXPECT_FALSE(info.has_keep_alive);

  info = extract("/api/chat", R"({"stream":false,"model":"m:1","messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info.stream);
  EXPECT_FALSE(info.empty_input);

  info = extract("/v1/chat/completions", R"({"model":"m","messages":[]})");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info.stream);  // OpenAI default
  EXPECT_FALSE(info.empty_input);  // not a load call on /v1

  info = extract("/v1/chat/completions", R"({"model":"m","stream":true,"stream":null})");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info.stream);  // null leaves the value alone
}

TEST(RequestInfo, LoadAndUnloadCalls) {
  auto info = extract("/api/generate", R"({"model":"m"})");
  EXPECT_TRUE(info.empty_input);
  info = extract("/api/generate", R"({"model":"m","prompt":""})");
  EXPECT_TRUE(info.empty_input);
  info = extract("/api/generate", R"({"model":"m","prompt":"","keep_alive":0})");
  EXPECT_TRUE(info.empty_input);
  EXPECT_TRUE(info.has_keep_alive);
  EXPECT_TRUE(info.keep_alive_zero);
  info = extract("/api/generate", R"({"model":"m","keep_alive":"0s"})");
  EXPECT_TRUE(info.keep_alive_zero);
  info = extract("/api/generate", R"({"model":"m","keep_alive":"5m"})");
  EXPECT_TRUE(info.has_keep_alive);
  EXPECT_FALSE(info.keep_alive_zero);
  info = extract("/api/generate", R"({"model":"m","keep_alive":-1})");
  EXPECT_FALSE(info.keep_alive_zero);
  info = extract("/api/generate", R"({"model":"m","keep_alive":null})");
  EXPECT_FALSE(info.has_keep_alive);
  info = extract("/api/chat", R"({"model":"m","messages":[ ],"keep_alive":0.0})");
  EXPECT_TRUE(info.empty_input);
  EXPECT_TRUE(info.keep_alive_zero);
  info = extract("/api/chat", R"({"model":"m","messages":null})");
  EXPECT_TRUE(info.empty_input);
  info = extract("/api/embed", R"({"model":"m","input":[]})");
  EXPECT_TRUE(info.empty_input);
  info = extract("/api/embed", R"({"model":"m","input":["a"]})");
  EXPECT_FALSE(info.empty_input);
  info = extract("/api/embed", R"({"model":"m","input":""})");
  EXPECT_TRUE(info.empty_input);
  info = extract("/api/embeddings", R"({"model":"m","prompt":"x"})");
  EXPECT_FALSE(info.empty_input);
}

TEST(RequestInfo, OllamaErrorTexts) {
  auto info = extract("/api/generate", "");
  EXPECT_EQ(info.error, RequestError::kEmptyBody);
  EXPECT_EQ(info.error_message, "missing request body");
  info = extract("/api/generate", " \r\n ");
  EXPECT_EQ(info.error, RequestError::kEmptyBody);

  info = extract("/api/chat", R"({"messages":[]})");
  EXPECT_EQ(info.error, RequestError::kMissingModel);
  EXPECT_EQ(info.error_message, "model is required");
  info = extract("/api/chat", R"({"model":""})");
  EXPECT_EQ(info.error, RequestError::kMissingModel);
  info = extract("/api/chat", R"({"model":null})");
  EXPECT_EQ(info.error, RequestError::kMissingModel);

  info = extract("/api/generate", R"({"model":"bad name!"})");
  EXPECT_EQ(info.error, RequestError::kInvalidModelName);
  EXPECT_EQ(info.error_message, "invalid model name");

  info = extract("/api/generate", R"({"model":42})");
  EXPECT_EQ(info.error, RequestError::kModelNotString);
  EXPECT_EQ(info.error_message, "json: cannot unmarshal number into Go struct field .model of type string");

  info = extract("/api/generate", R"({"model":"a","stream":"yes"})");
  EXPECT_EQ(info.error, RequestError::kBadJson);
  EXPECT_EQ(info.error_message, "json: cannot unmarshal string into Go struct field .stream of type bool");

  info = extract("/api/generate", R"(["model"])");
  EXPECT_EQ(info.error, RequestError::kBadJson);
  EXPECT_EQ(info.error_message, "json: cannot unmarshal array into Go value of type api.GenerateRequest");
}

TEST(RequestInfo, BrokenJson) {
  for (const char* body : {R"({"model":"a")", R"({"model":"a",})", R"({"model" "a"})", "{", "nope",
                           R"({"model":"a","x":[1,2})", R"({"model":"a"} {"model":"b"})", R"({"model":"a"}x)"}) {
    const auto info = extract("/api/generate", body);
    EXPECT_EQ(info.error, RequestError::kBadJson) << body;
    EXPECT_FALSE(info.error_message.empty()) << body;
  }
  EXPECT_TRUE(extract("/api/generate", "{\"model\":\"a\"}\n").ok());  // trailing whitespace is fine
}

TEST(RequestInfo, DuplicateModelKeysIncludingGoCaseFolding) {
  auto info = extract("/api/generate", R"({"model":"a","prompt":"x","model":"b"})");
  EXPECT_EQ(info.error, RequestError::kDuplicateModel);
  EXPECT_EQ(info.error_message, "duplicate \"model\" key in request body");
  // Go's encoding/json binds "Model" and "MODEL" to the same field.
  EXPECT_EQ(extract("/api/generate", R"({"model":"a","Model":"b"})").error, RequestError::kDuplicateModel);
  EXPECT_EQ(extract("/api/generate", R"({"MODEL":"a","model":"b"})").error, RequestError::kDuplicateModel);
  // An escaped key is the same key.
  EXPECT_EQ(extract("/api/generate", R"({"model":"a","mod\u0065l":"b"})").error, RequestError::kDuplicateModel);
  // Nested "model" keys are somebody else's business.
  EXPECT_TRUE(extract("/api/generate", R"({"model":"a","options":{"model":"b"}})").ok());
  // A lone "Model" is the model, as in Ollama.
  info = extract("/api/generate", R"({"Model":"x"})");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.model, "x");
  // Unicode folding: U+212A KELVIN SIGN folds to k, U+017F LONG S to s.
  info = extract("/api/generate", "{\"model\":\"a\",\"\xE2\x84\xAA" "eep_alive\":0,\"\xC5\xBF" "tream\":false}");
  ASSERT_TRUE(info.ok()) << info.error_message;
  EXPECT_TRUE(info.keep_alive_zero);
  EXPECT_FALSE(info.stream);
}

TEST(RequestInfo, LegacyNameAndCopy) {
  auto info = extract("/api/pull", R"({"name":"llama3","stream":false})");
  ASSERT_TRUE(info.ok()) << info.error_message;
  EXPECT_EQ(info.model, "llama3");
  EXPECT_EQ(info.model_key, "llama3:latest");
  EXPECT_FALSE(info.stream);
  info = extract("/api/show", R"({"model":"a","name":"b"})");
  EXPECT_EQ(info.model, "a");  // cmp.Or(model, name)
  info = extract("/api/show", R"({"model":"","name":"b"})");
  EXPECT_EQ(info.model, "b");
  EXPECT_EQ(extract("/api/show", R"({"name":"a","name":"b"})").error, RequestError::kDuplicateModel);
  info = extract("/api/delete", R"({"name":"m"})", http::verb::delete_);
  EXPECT_EQ(info.model_key, "m:latest");
  // `name` means nothing to generate.
  EXPECT_EQ(extract("/api/generate", R"({"name":"m"})").error, RequestError::kMissingModel);

  info = extract("/api/copy", R"({"source":"a","destination":"b:2"})");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.model_key, "a:latest");
  EXPECT_EQ(info.destination, "b:2");
  info = extract("/api/copy", R"({"source":"a","destination":"b!"})");
  EXPECT_EQ(info.error, RequestError::kInvalidModelName);
  EXPECT_EQ(info.error_message, "destination \"b!\" is invalid");
  info = extract("/api/copy", R"({"destination":"b"})");
  EXPECT_EQ(info.error_message, "source \"\" is invalid");
}

TEST(RequestInfo, RunnerOptionsDigest) {
  const auto a = extract("/api/generate", R"({"model":"m","options":{"num_ctx":8192,"temperature":0.1}})");
  const auto b = extract("/api/generate", R"({"model":"m","options":{"temperature":0.9, "num_ctx": 8192 }})");
  const auto c = extract("/api/generate", R"({"model":"m","options":{"num_ctx":4096}})");
  const auto d = extract("/api/generate", R"({"model":"m","options":{"temperature":0.9}})");
  EXPECT_NE(a.runner_options_digest, 0U);
  EXPECT_EQ(a.runner_options_digest, b.runner_options_digest);  // only reload-relevant keys count
  EXPECT_NE(a.runner_options_digest, c.runner_options_digest);
  EXPECT_EQ(d.runner_options_digest, 0U);
}

TEST(RequestInfo, RoutesWithoutBodyModelOnlyGetTheStreamDefault) {
  const auto info = extract("/api/tags", "not json", http::verb::get);
  EXPECT_TRUE(info.ok());
  EXPECT_TRUE(info.model.empty());
}

TEST(RequestInfo, BigBase64ValuesAreSkipped) {
  std::string image(1 << 20, 'A');
  for (std::size_t i = 0; i < image.size(); i += 77) image[i] = '+';
  std::string body = R"({"prompt":"describe","images":[")" + image + R"("],"model":"llava","stream":false})";
  const auto info = extract("/api/generate", body);
  ASSERT_TRUE(info.ok()) << info.error_message;
  EXPECT_EQ(info.model_key, "llava:latest");
  EXPECT_FALSE(info.stream);
}

TEST(RequestInfo, PaddingHelperKeepsContent) {
  std::string body = R"({"model":"m"})";
  body.shrink_to_fit();
  const std::string_view view = pad_body(body);
  EXPECT_EQ(view, R"({"model":"m"})");
  EXPECT_GE(body.capacity(), body.size() + kBodyPadding);
  const auto info = extract_request_info(route_request(http::verb::post, "/api/generate"), view);
  EXPECT_TRUE(info.ok());
}

TEST(RequestInfo, ErrorNames) {
  EXPECT_EQ(to_string(RequestError::kDuplicateModel), "duplicate_model");
  EXPECT_EQ(to_string(RequestError::kEmptyBody), "missing_request_body");
}

}  // namespace
}  // namespace corral::routing
