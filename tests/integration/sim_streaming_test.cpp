// corral sim on the wire: NDJSON and SSE framing, one token per chunk, the final done object and its
// counts, stream:false bodies, and the determinism of the pseudo-text.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace {

using namespace corral::testing;
namespace json = boost::json;

Server fast_sim() {
  return start_sim({"llama3:8b=4.7GB", "qwen2:0.5b=400MB"}, {"--tokens-per-second", "2000", "--seed", "7"});
}

TEST(SimStreaming, GenerateStreamsOneTokenPerChunkThenDone) {
  auto sim = fast_sim();
  HttpConnection c(sim.address);
  auto head = c.start("POST", "/api/generate", R"({"model":"llama3:8b","prompt":"hello there","options":{"num_predict":6}})");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Type"), "application/x-ndjson");
  EXPECT_EQ(head.header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(head.has_header("Content-Length"));

  std::vector<json::object> chunks;
  while (auto chunk = c.next_chunk()) {
    ASSERT_FALSE(chunk->empty());
    ASSERT_EQ(chunk->back(), '\n') << "each HTTP chunk carries exactly one whole line";
    ASSERT_EQ(chunk->find('\n'), chunk->size() - 1) << *chunk;
    chunks.push_back(json::parse(*chunk).as_object());
  }
  ASSERT_EQ(chunks.size(), 7u);
  std::string text;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(chunks[i].at("model").as_string(), "llama3:8b");
    EXPECT_FALSE(chunks[i].at("done").as_bool());
    EXPECT_TRUE(chunks[i].contains("created_at"));
    text += json::value_to<std::string>(chunks[i].at("response"));
  }
  EXPECT_FALSE(text.empty());
  const auto& done = chunks.back();
  EXPECT_TRUE(done.at("done").as_bool());
  EXPECT_EQ(done.at("response").as_string(), "");
  EXPECT_EQ(done.at("done_reason").as_string(), "length");
  EXPECT_EQ(done.at("eval_count").as_int64(), 6);
  EXPECT_EQ(done.at("prompt_eval_count").as_int64(), 3);  // 11 bytes, ~4 bytes per token
  for (const char* k : {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"}) {
    ASSERT_TRUE(done.contains(k)) << k;
    EXPECT_GT(done.at(k).as_int64(), 0) << k;
  }
  // context = prompt token ids + one id per generated token
  EXPECT_EQ(done.at("context").as_array().size(), 3u + 6u);
  // Field order follows Ollama's struct.
  const std::string raw = json::serialize(done);
  EXPECT_LT(raw.find("\"model\""), raw.find("\"created_at\""));
  EXPECT_LT(raw.find("\"done_reason\""), raw.find("\"context\""));
  EXPECT_LT(raw.find("\"context\""), raw.find("\"total_duration\""));
}

TEST(SimStreaming, StreamFalseGivesOneObjectEqualToTheStreamedText) {
  auto sim = fast_sim();
  const std::string body = R"({"model":"llama3:8b","prompt":"same prompt","options":{"num_predict":9}})";
  HttpConnection c(sim.address);
  c.start("POST", "/api/generate", body);
  std::string streamed;
  while (auto line = c.next_line()) {
    auto o = json::parse(*line).as_object();
    streamed += json::value_to<std::string>(o.at("response"));
  }
  auto whole = c.request("POST", "/api/generate",
                         R"({"model":"llama3:8b","prompt":"same prompt","stream":false,"options":{"num_predict":9}})");
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("Content-Type"), "application/json; charset=utf-8");
  ASSERT_FALSE(whole.body.empty());
  EXPECT_NE(whole.body.back(), '\n') << "gin's c.JSON writes no trailing newline";
  auto o = json::parse(whole.body).as_object();
  EXPECT_TRUE(o.at("done").as_bool());
  EXPECT_EQ(json::value_to<std::string>(o.at("response")), streamed) << "deterministic for one seed and prompt";
  EXPECT_EQ(o.at("eval_count").as_int64(), 9);
}

TEST(SimStreaming, NaturalLengthStopsWithReasonStop) {
  auto sim = fast_sim();
  auto r = http_post(sim.address, "/api/chat",
                     R"({"model":"LLAMA3:8b","messages":[{"role":"user","content":"hi"}],"stream":false})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = json::parse(r.body).as_object();
  EXPECT_EQ(o.at("model").as_string(), "LLAMA3:8b") << "the model string is echoed as sent";
  EXPECT_EQ(o.at("done_reason").as_string(), "stop");
  EXPECT_EQ(o.at("message").at("role").as_string(), "assistant");
  EXPECT_GT(o.at("eval_count").as_int64(), 0);
  EXPECT_FALSE(o.contains("context")) << "chat has no context";
}

TEST(SimStreaming, ChatStreamChunksCarryMessages) {
  auto sim = fast_sim();
  HttpConnection c(sim.address);
  auto head = c.start("POST", "/api/chat",
                      R"({"model":"qwen2:0.5b","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":3}})");
  ASSERT_EQ(head.status, 200);
  std::vector<json::object> lines;
  while (auto line = c.next_line()) lines.push_back(json::parse(*line).as_object());
  ASSERT_EQ(lines.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(lines[i].at("message").at("content").as_string().empty());
  EXPECT_EQ(lines[3].at("message").at("content").as_string(), "");
  EXPECT_EQ(lines[3].at("eval_count").as_int64(), 3);
}

TEST(SimStreaming, OpenAiChatSseSequence) {
  auto sim = fast_sim();
  HttpConnection c(sim.address);
  auto head = c.start("POST", "/v1/chat/completions",
                      R"({"model":"qwen2:0.5b","messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":4,"stream_options":{"include_usage":true}})");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Type"), "text/event-stream");
  std::vector<std::string> events;
  while (auto e = c.next_event()) events.push_back(*e);
  ASSERT_EQ(events.size(), 4u + 1u + 1u + 1u);  // content x4, finish, usage, [DONE]
  for (const auto& e : events) ASSERT_EQ(e.rfind("data: ", 0), 0u) << e;
  auto first = json::parse(events[0].substr(6)).as_object();
  EXPECT_EQ(first.at("object").as_string(), "chat.completion.chunk");
  EXPECT_EQ(first.at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  auto second = json::parse(events[1].substr(6)).as_object();
  EXPECT_FALSE(second.at("choices").at(0).at("delta").as_object().contains("role"));
  auto finish = json::parse(events[4].substr(6)).as_object();
  EXPECT_TRUE(finish.at("choices").at(0).at("delta").as_object().empty());
  EXPECT_EQ(finish.at("choices").at(0).at("finish_reason").as_string(), "length");
  auto usage = json::parse(events[5].substr(6)).as_object();
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_EQ(usage.at("usage").at("completion_tokens").as_int64(), 4);
  EXPECT_EQ(events[6], "data: [DONE]");
  EXPECT_EQ(first.at("created"), usage.at("created")) << "one created value per stream";
}

TEST(SimStreaming, OpenAiNonStreamBodiesEndInNewline) {
  auto sim = fast_sim();
  auto r = http_post(sim.address, "/v1/chat/completions",
                     R"({"model":"qwen2:0.5b","messages":[{"role":"user","content":"hi"}],"max_tokens":2})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  ASSERT_EQ(r.body.back(), '\n');
  auto o = json::parse(r.body).as_object();
  EXPECT_EQ(o.at("object").as_string(), "chat.completion");
  EXPECT_EQ(o.at("usage").at("completion_tokens").as_int64(), 2);
  EXPECT_EQ(o.at("choices").at(0).at("finish_reason").as_string(), "length");
}

}  // namespace
