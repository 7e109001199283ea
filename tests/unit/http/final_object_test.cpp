// The final object's counters read from a body's window: Ollama NDJSON, a non-streamed answer with a
// long `context`, OpenAI `usage` (plain and streamed), the Responses API's `response.completed`,
// Anthropic's message_start and message_delta, windows that cut a number (at the end or at the gap), and
// every split of a stream into pieces (the window keeps the same bytes however the body arrives).
#include <gtest/gtest.h>

#include <string>

#include "http/final_object.hpp"

namespace corral::http1 {
namespace {

const std::string kNdjson =
    R"({"model":"llama3:8b","created_at":"t","response":"eval_count","done":false})" "\n"
    R"({"model":"llama3:8b","created_at":"t","response":"","done":true,"done_reason":"stop",)"
    R"("context":[1,2,3],"total_duration":900,"load_duration":2500000000,"prompt_eval_count":12,)"
    R"("prompt_eval_duration":100,"eval_count":34,"eval_duration":2000000000})" "\n";

TEST(FinalObject, ReadsOllamaFinalObject) {
  const FinalCounts c = scan_final_object(kNdjson);
  EXPECT_EQ(c.prompt_tokens, 12u);
  EXPECT_EQ(c.completion_tokens, 34u);
  ASSERT_TRUE(c.eval_duration);
  EXPECT_EQ(c.eval_duration->count(), 2000000000);
  ASSERT_TRUE(c.load_duration);
  EXPECT_EQ(c.load_duration->count(), 2500000000);
}

TEST(FinalObject, ReadsOpenAIUsageStreamedBeforeDone) {
  const std::string sse =
      "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
      "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\": 7,\"completion_tokens\": 5,\"total_tokens\":12}}\n\n"
      "data: [DONE]\n\n";
  const FinalCounts c = scan_final_object(sse);
  EXPECT_EQ(c.prompt_tokens, 7u);
  EXPECT_EQ(c.completion_tokens, 5u);
  EXPECT_FALSE(c.eval_duration);
  EXPECT_FALSE(c.load_duration);
}

TEST(FinalObject, NothingFromBodiesWithoutCounters) {
  const FinalCounts c = scan_final_object(R"({"models":[{"name":"x"}]})");
  EXPECT_EQ(c.prompt_tokens, 0u);
  EXPECT_EQ(c.completion_tokens, 0u);
  EXPECT_FALSE(c.load_duration);
  // A number cut by the end of the window is not trusted.
  EXPECT_EQ(scan_final_object(R"({"eval_count":12)").completion_tokens, 0u);
  EXPECT_EQ(scan_final_object(R"({"eval_count":123})").completion_tokens, 123u);
  // prompt_eval_count is not eval_count.
  const FinalCounts p = scan_final_object(R"({"prompt_eval_count":5})");
  EXPECT_EQ(p.prompt_tokens, 5u);
  EXPECT_EQ(p.completion_tokens, 0u);
}

// The gateway's own load calls (models/model_lifecycle.cpp) scan the whole answer: a non-streamed
// /api/generate answer with a long context, a streamed one, and Ollama's empty-prompt load answer.
TEST(FinalObject, ReadsLoadDurationOfAControlAnswer) {
  std::string whole = R"({"model":"m","response":"the \"load_duration\":7 is text","done":true,"context":[)";
  for (int i = 0; i < 2000; ++i) whole += "123,";
  whole += R"(4],"total_duration":9,"load_duration":4200000000,"eval_count":3})";
  ASSERT_TRUE(scan_final_object(whole).load_duration);
  EXPECT_EQ(scan_final_object(whole).load_duration->count(), 4200000000);
  ASSERT_TRUE(scan_final_object(kNdjson).load_duration);
  EXPECT_EQ(scan_final_object(kNdjson).load_duration->count(), 2500000000);
  EXPECT_FALSE(scan_final_object(R"({"model":"m","response":"","done":true,"done_reason":"load"})").load_duration);
  EXPECT_FALSE(scan_final_object(R"({"load_duration":-5})").load_duration);
}

TEST(FinalObject, AWindowStartingInsideAStringStillFindsEveryKey) {
  // The window's first quote closes a string and a value holds an escaped quote: quotes do not pair up.
  const std::string cut = R"(llo \"world\"","done":true,"prompt_eval_count":3,"eval_count":9,"eval_duration":77})";
  const FinalCounts c = scan_final_object(cut);
  EXPECT_EQ(c.prompt_tokens, 3u);
  EXPECT_EQ(c.completion_tokens, 9u);
  ASSERT_TRUE(c.eval_duration);
  EXPECT_EQ(c.eval_duration->count(), 77);
  // The last occurrence counts, even when it is the one without a valid number.
  EXPECT_EQ(scan_final_object(R"({"eval_count":4}{"eval_count":5})").completion_tokens, 5u);
  EXPECT_EQ(scan_final_object(R"({"eval_count":4}{"eval_count":"x"})").completion_tokens, 0u);
}

TEST(FinalObject, TheWindowKeepsTheFirstAndLastBytesWhateverTheSplit) {
  std::string body(5000, 'x');
  body += kNdjson;
  const std::string expected = body.substr(0, kHeadBytes) + kWindowGap + body.substr(body.size() - kTailBytes);
  for (std::size_t piece = 1; piece <= 1500; piece += 7) {
    TailWindow tail;
    for (std::size_t at = 0; at < body.size(); at += piece) {
      tail.push(body.data() + at, std::min(piece, body.size() - at));
    }
    ASSERT_EQ(tail.view(), expected) << "piece " << piece;
    EXPECT_EQ(scan_final_object(tail.view()).completion_tokens, 34u);
  }
  // While the body fits, the view is the body, without a gap, however it arrived.
  const std::string fits = body.substr(body.size() - (kHeadBytes + 1 + kTailBytes));
  for (std::size_t piece : {1u, 3u, 700u, 2000u}) {
    TailWindow tail;
    for (std::size_t at = 0; at < fits.size(); at += piece) tail.push(fits.data() + at, std::min(piece, fits.size() - at));
    EXPECT_EQ(tail.view(), fits) << piece;
  }
  // One byte more than fits: the bytes between the head and the tail give way to one gap marker.
  const std::string over = "a" + fits;
  TailWindow one;
  one.push(over.data(), over.size());
  EXPECT_EQ(one.view(), over.substr(0, kHeadBytes) + kWindowGap + over.substr(over.size() - kTailBytes));
  TailWindow small;
  small.push("ab", 2);
  small.push("c", 1);
  EXPECT_EQ(small.view(), "abc");
}

// The Responses API: the counters are in `response.completed`, under response.usage, after the output
// and the echoed tools (Ollama writes the event from a map, so its keys come sorted).
TEST(FinalObject, ReadsTheResponsesApiUsage) {
  const std::string created =
      "event: response.created\ndata: {\"response\":{\"id\":\"resp_1\",\"output\":[],\"usage\":null},"
      "\"sequence_number\":0,\"type\":\"response.created\"}\n\n";
  std::string deltas;
  for (int i = 0; i < 40; ++i) {
    deltas += "event: response.output_text.delta\ndata: {\"delta\":\"word \",\"item_id\":\"msg_1\","
              "\"output_index\":0,\"sequence_number\":" + std::to_string(i + 1) +
              ",\"type\":\"response.output_text.delta\"}\n\n";
  }
  const std::string completed =
      "event: response.completed\ndata: {\"response\":{\"background\":false,\"id\":\"resp_1\","
      "\"max_output_tokens\":null,\"output\":[{\"content\":[{\"text\":\"word word\",\"type\":\"output_text\"}]}],"
      "\"status\":\"completed\",\"tools\":[],\"top_p\":1,\"truncation\":\"disabled\","
      "\"usage\":{\"input_tokens\":21,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":40,"
      "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":61}},"
      "\"sequence_number\":42,\"type\":\"response.completed\"}\n\n";
  const std::string body = created + deltas + completed;
  ASSERT_GT(body.size(), kHeadBytes + kTailBytes);
  TailWindow w;
  for (std::size_t at = 0; at < body.size(); at += 97) w.push(body.data() + at, std::min<std::size_t>(97, body.size() - at));
  const FinalCounts c = scan_final_object(w.view());
  EXPECT_EQ(c.prompt_tokens, 21u);
  EXPECT_EQ(c.completion_tokens, 40u);
  // Non-streamed: the response object itself, usage before the trailing fields.
  const FinalCounts whole = scan_final_object(
      R"({"id":"resp_1","object":"response","output":[],"usage":{"input_tokens":5,"output_tokens":6,)"
      R"("total_tokens":11,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}},)"
      R"("max_output_tokens":null,"store":false,"metadata":{}})");
  EXPECT_EQ(whole.prompt_tokens, 5u);
  EXPECT_EQ(whole.completion_tokens, 6u);
}

// Anthropic Messages: Ollama repeats both counts in message_delta; a server that sends input_tokens only
// in message_start (Anthropic's own API) still has them counted, from the window's first bytes.
TEST(FinalObject, ReadsAnthropicUsageFromMessageStartAndMessageDelta) {
  const auto stream = [](std::string_view delta_usage) {
    std::string s = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
                    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"qwen3:8b\",\"content\":[],"
                    "\"usage\":{\"input_tokens\":17,\"output_tokens\":1}}}\n\n"
                    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    for (int i = 0; i < 60; ++i) {
      s += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"text_delta\",\"text\":\"tok \"}}\n\n";
    }
    s += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
         "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
         "\"usage\":" + std::string(delta_usage) + "}\n\n"
         "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    return s;
  };
  for (std::string_view usage : {std::string_view(R"({"output_tokens":60})"),
                                 std::string_view(R"({"input_tokens":17,"output_tokens":60})")}) {
    SCOPED_TRACE(std::string(usage));
    const std::string body = stream(usage);
    ASSERT_GT(body.size(), kHeadBytes + kTailBytes + 1);
    for (std::size_t piece : {1u, 64u, 4096u}) {
      TailWindow w;
      for (std::size_t at = 0; at < body.size(); at += piece) w.push(body.data() + at, std::min(piece, body.size() - at));
      const FinalCounts c = scan_final_object(w.view());
      EXPECT_EQ(c.prompt_tokens, 17u) << piece;
      EXPECT_EQ(c.completion_tokens, 60u) << piece;  // message_delta's, not message_start's 1
    }
  }
  // Non-streamed: usage last.
  const FinalCounts whole = scan_final_object(
      R"({"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi"}],)"
      R"("stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":2}})");
  EXPECT_EQ(whole.prompt_tokens, 9u);
  EXPECT_EQ(whole.completion_tokens, 2u);
}

TEST(FinalObject, ANumberCutByTheGapIsNotTrusted) {
  // The head ended inside "input_tokens":12..., and the tail starts with the digit 7 of something else.
  std::string view = R"({"input_tokens":12)";
  view += kWindowGap;
  view += R"(7,"output_tokens":3})";
  const FinalCounts c = scan_final_object(view);
  EXPECT_EQ(c.prompt_tokens, 0u);
  EXPECT_EQ(c.completion_tokens, 3u);
}

}  // namespace
}  // namespace corral::http1
