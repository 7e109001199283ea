// corral sim answers bad input like Ollama: router 404/405 texts, Go decoder errors, the per-endpoint
// not-found texts, keep_alive grammar, OpenAI error objects, malformed HTTP, and it survives all of it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace {

using namespace corral::testing;
namespace json = boost::json;

class SimErrors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim_ = new Server(start_sim({"llama3:8b=1GB", "nomic-embed-text=300MB"}, {"--tokens-per-second", "0"}));
  }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }
  static const std::string& addr() { return sim_->address; }
  static void expect_error(const HttpResponse& r, int status, std::string_view message) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.body, "{\"error\":" + json::serialize(json::string(message)) + "}");
  }
  static Server* sim_;
};
Server* SimErrors::sim_ = nullptr;

TEST_F(SimErrors, RouterTexts) {
  auto r = http_get(addr(), "/api/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.body, "404 page not found");
  r = http_get(addr(), "/api/generate");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "405 method not allowed");
  r = http_request(addr(), "POST", "/api/tags");
  EXPECT_EQ(r.status, 405);
  r = http_request(addr(), "HEAD", "/api/ps");
  EXPECT_EQ(r.status, 405) << "gin registers HEAD only for /, /api/version and /api/tags";
  r = http_get(addr(), "/api/tags/");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "/api/tags");
  r = http_request(addr(), "POST", "/api/generate/", "{}");
  EXPECT_EQ(r.status, 307);
}

TEST_F(SimErrors, RootAndHead) {
  auto r = http_get(addr(), "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Ollama is running");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  HttpConnection c(addr());
  r = c.request("HEAD", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Length"), "17");
  EXPECT_TRUE(r.body.empty());
  r = c.request("GET", "/api/version");  // the connection survived the HEAD
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(json::parse(r.body).at("version").as_string(), "");
}

TEST_F(SimErrors, DecoderErrors) {
  expect_error(http_post(addr(), "/api/generate", ""), 400, "missing request body");
  expect_error(http_post(addr(), "/api/generate", "{\"model\":"), 400, "unexpected EOF");
  expect_error(http_post(addr(), "/api/chat", "nope"), 400, "invalid character 'o' in literal null (expecting 'u')");
  expect_error(http_post(addr(), "/api/generate", "[1]"), 400,
               "json: cannot unmarshal array into Go value of type api.GenerateRequest");
  expect_error(http_post(addr(), "/api/generate", R"({"model":"llama3:8b","prompt":5})"), 400,
               "json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string");
  expect_error(http_post(addr(), "/api/generate", R"({"model":"llama3:8b","stream":"yes"})"), 400,
               "json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool");
}

TEST_F(SimErrors, KeepAliveGrammar) {
  expect_error(http_post(addr(), "/api/generate", R"({"model":"llama3:8b","keep_alive":"300"})"), 400,
               "time: missing unit in duration \"300\"");
  expect_error(http_post(addr(), "/api/generate", R"({"model":"llama3:8b","keep_alive":"soon"})"), 400,
               "time: invalid duration \"soon\"");
  expect_error(http_post(addr(), "/api/generate", R"({"model":"llama3:8b","keep_alive":true})"), 400,
               "Unsupported type: 'bool'");
  auto ok = http_post(addr(), "/api/generate", R"({"model":"llama3:8b","keep_alive":"10m"})");
  EXPECT_EQ(ok.status, 200);
}

TEST_F(SimErrors, ModelNotFoundTextsDifferPerEndpoint) {
  expect_error(http_post(addr(), "/api/generate", R"({"model":"ghost","prompt":"x"})"), 404, "model 'ghost' not found");
  expect_error(http_post(addr(), "/api/chat", R"({"model":"ghost","messages":[{"role":"user","content":"x"}]})"), 404,
               "model 'ghost' not found");
  expect_error(http_post(addr(), "/api/embed", R"({"model":"ghost","input":"x"})"), 404,
               "model \"ghost\" not found, try pulling it first");
  expect_error(http_post(addr(), "/api/show", R"({"model":"ghost"})"), 404, "model 'ghost:latest' not found");
  expect_error(http_request(addr(), "DELETE", "/api/delete", R"({"model":"ghost"})"), 404, "model 'ghost' not found");
  expect_error(http_post(addr(), "/api/copy", R"({"source":"ghost","destination":"x"})"), 404, "model \"ghost\" not found");
}

TEST_F(SimErrors, MissingAndInvalidModel) {
  expect_error(http_post(addr(), "/api/generate", R"({"prompt":"x"})"), 404, "model '' not found");
  expect_error(http_post(addr(), "/api/chat", R"({"messages":[]})"), 400, "model is required");
  expect_error(http_post(addr(), "/api/generate", R"({"model":"bad name!","prompt":"x"})"), 400, "invalid model name");
  expect_error(http_post(addr(), "/api/show", R"({})"), 400, "model is required");
  expect_error(http_post(addr(), "/api/generate", R"({"model":"nomic-embed-text","prompt":"x"})"), 400,
               "\"nomic-embed-text\" does not support generate");
}

TEST_F(SimErrors, OpenAiErrorObjects) {
  auto r = http_post(addr(), "/v1/chat/completions", R"({"model":"ghost","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(r.status, 404);
  auto e = json::parse(r.body).at("error").as_object();
  EXPECT_EQ(e.at("type").as_string(), "not_found_error");
  EXPECT_EQ(e.at("message").as_string(), "model 'ghost' not found");
  EXPECT_TRUE(e.at("param").is_null());
  r = http_post(addr(), "/v1/chat/completions", R"({"model":"llama3:8b","messages":[]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body).at("error").at("message").as_string(), "[] is too short - 'messages'");
  EXPECT_EQ(json::parse(r.body).at("error").at("type").as_string(), "invalid_request_error");
  r = http_get(addr(), "/v1/models/ghost");
  EXPECT_EQ(r.status, 404);
  r = http_post(addr(), "/v1/embeddings", R"({"model":"llama3:8b","input":[]})");
  EXPECT_EQ(r.status, 400);
}

TEST_F(SimErrors, MalformedHttpGetsGosPlainAnswerAndTheSimSurvives) {
  const std::string reply = raw_exchange(addr(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  // Built by appends: GCC 12's -Warray-bounds misfires on `literal + std::string(n, c)` at -O2.
  std::string huge = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ";
  huge.append(2 << 20, 'a');
  huge.append("\r\n\r\n");
  HttpConnection c(addr());
  try {
    c.send_raw(huge);
  } catch (const std::exception&) {
    // The sim may close before reading everything; that is an acceptable answer too.
  }
  const std::string big_reply = c.read_until_close();
  if (!big_reply.empty()) {
    EXPECT_EQ(big_reply.rfind("HTTP/1.1 431", 0), 0u) << big_reply.substr(0, 80);
  }
  // Binary noise, a truncated request, then a normal request still works.
  raw_exchange(addr(), std::string("\x00\xff\x10\r\n\r\n", 7));
  { HttpConnection half(addr()); half.send_raw("POST /api/generate HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"mo"); }
  EXPECT_EQ(http_get(addr(), "/").status, 200);
  EXPECT_TRUE(sim_->process->running());
}

TEST_F(SimErrors, KeepAliveConnectionIsReused) {
  const auto before = stat(addr(), "connections_opened");
  HttpConnection c(addr());
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("POST", "/api/generate", R"({"model":"llama3:8b","prompt":"x","stream":false,"options":{"num_predict":1}})");
    ASSERT_EQ(r.status, 200);
  }
  // this connection plus the one stat() opens
  EXPECT_EQ(stat(addr(), "connections_opened"), before + 2);
}

}  // namespace
