// The final object's counters read from a body's tail: Ollama NDJSON, a non-streamed answer with a
// long `context`, OpenAI `usage` (plain and streamed), windows that cut a number, and every split of a
// stream into pieces (the tail keeps the same last bytes however the body arrives).
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

TEST(FinalObject, TailWindowKeepsTheLastBytesWhateverTheSplit) {
  std::string body(5000, 'x');
  body += kNdjson;
  const std::string expected = body.substr(body.size() - kTailBytes);
  for (std::size_t piece = 1; piece <= 1500; piece += 7) {
    TailWindow tail;
    for (std::size_t at = 0; at < body.size(); at += piece) {
      tail.push(body.data() + at, std::min(piece, body.size() - at));
    }
    ASSERT_EQ(tail.view(), expected) << "piece " << piece;
    EXPECT_EQ(scan_final_object(tail.view()).completion_tokens, 34u);
  }
  TailWindow small;
  small.push("ab", 2);
  small.push("c", 1);
  EXPECT_EQ(small.view(), "abc");
}

}  // namespace
}  // namespace corral::http1
