// The simulator's rendered prompt, the stand-in for a chat template that the prompt cache compares: whole
// 4-byte tokens, and a next turn that starts with the previous turn's bytes on every generating API
// (native chat, OpenAI chat with text parts and tools, generate with a system prompt, completions), while
// two different conversations share nothing.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <string>

#include "sim/prompt_cache.hpp"
#include "sim/request_body.hpp"

namespace corral::sim {
namespace {

// Parses `body` for `api` and returns its rendered prompt.
std::string rendered_for(Api api, const std::string& body) {
  simdjson::dom::parser parser;
  std::string scratch;
  InferenceRequest r;
  const auto err = parse_inference(parser, scratch, body, api, r);
  EXPECT_FALSE(err.has_value()) << (err ? err->message : "");
  EXPECT_EQ(r.rendered.size() % kTokenBytes, 0u) << "whole tokens";
  EXPECT_EQ(r.prompt_bytes, r.rendered.size());
  return r.rendered;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

const std::string kTurn1 = R"([{"role":"system","content":"be brief"},{"role":"user","content":"hi there"}])";
const std::string kTurn2 = R"([{"role":"system","content":"be brief"},{"role":"user","content":"hi there"},)"
                           R"({"role":"assistant","content":"hello!"},{"role":"user","content":"and then?"}])";

TEST(SimPromptRendering, AChatTurnStartsWithThePreviousTurn) {
  for (Api api : {Api::kChat, Api::kOaiChat}) {
    const std::string t1 = rendered_for(api, R"({"model":"m","messages":)" + kTurn1 + "}");
    const std::string t2 = rendered_for(api, R"({"model":"m","messages":)" + kTurn2 + "}");
    EXPECT_GT(t2.size(), t1.size());
    EXPECT_TRUE(starts_with(t2, t1));
    EXPECT_EQ(common_prefix_tokens(t1, t2), t1.size() / kTokenBytes);
  }
}

TEST(SimPromptRendering, EveryMessageEndsOnATokenBoundary) {
  // "be brief"+"system" = 14 bytes -> 4 tokens; "hi there"+"user" = 12 bytes -> 3 tokens.
  EXPECT_EQ(rendered_for(Api::kChat, R"({"model":"m","messages":)" + kTurn1 + "}").size(), 7 * kTokenBytes);
}

TEST(SimPromptRendering, OpenAITextPartsRenderLikeTheirText) {
  const std::string parts = rendered_for(
      Api::kOaiChat,
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}]})");
  const std::string plain =
      rendered_for(Api::kOaiChat, R"({"model":"m","messages":[{"role":"user","content":"hi there"}]})");
  EXPECT_EQ(parts, plain);
}

TEST(SimPromptRendering, ToolsComeAfterTheSystemPromptAndStayInThePrefix) {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"get_weather"}}])";
  const std::string t1 = rendered_for(Api::kChat, R"({"model":"m","messages":)" + kTurn1 + "," + tools + "}");
  const std::string t2 = rendered_for(Api::kChat, R"({"model":"m",)" + tools + R"(,"messages":)" + kTurn2 + "}");
  EXPECT_TRUE(starts_with(t2, t1)) << "key order in the body does not matter";
  EXPECT_TRUE(starts_with(t1, "be briefsystem"));
  EXPECT_NE(t1.find("get_weather"), std::string::npos);
  EXPECT_LT(t1.find("get_weather"), t1.find("hi there"));
  const std::string no_tools = rendered_for(Api::kChat, R"({"model":"m","messages":)" + kTurn1 + "}");
  EXPECT_GT(t1.size(), no_tools.size()) << "tools count as prompt tokens";
}

TEST(SimPromptRendering, AnAssistantsToolCallsAreRendered) {
  const std::string with_calls = rendered_for(
      Api::kChat, R"({"model":"m","messages":[{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f"}}]}]})");
  EXPECT_NE(with_calls.find(R"("name":"f")"), std::string::npos);
}

TEST(SimPromptRendering, GenerateRendersItsSystemPromptFirstUnlessRaw) {
  const std::string plain = rendered_for(Api::kGenerate, R"({"model":"m","prompt":"why is the sky blue"})");
  const std::string with_system =
      rendered_for(Api::kGenerate, R"({"model":"m","system":"you are terse","prompt":"why is the sky blue"})");
  const std::string raw = rendered_for(
      Api::kGenerate, R"({"model":"m","system":"you are terse","prompt":"why is the sky blue","raw":true})");
  EXPECT_EQ(plain.size(), 20u) << "19 bytes -> 5 tokens, as before";
  EXPECT_TRUE(starts_with(with_system, "you are terse"));
  EXPECT_GT(with_system.size(), plain.size());
  EXPECT_EQ(raw, plain);
  EXPECT_TRUE(starts_with(rendered_for(Api::kGenerate, R"({"model":"m","prompt":"why is the sky blue? because"})"),
                          "why is the sky blue"));
}

TEST(SimPromptRendering, CompletionsRenderThePrompt) {
  const std::string p = rendered_for(Api::kOaiCompletion, R"({"model":"m","prompt":"once upon a time"})");
  EXPECT_EQ(p, "once upon a time");
}

TEST(SimPromptRendering, DifferentConversationsShareNoToken) {
  const std::string a = rendered_for(Api::kChat, R"({"model":"m","messages":[{"role":"user","content":"tell me a joke"}]})");
  const std::string b = rendered_for(Api::kChat, R"({"model":"m","messages":[{"role":"user","content":"what is 2+2"}]})");
  EXPECT_EQ(common_prefix_tokens(a, b), 0u) << "the template adds no common header";
}

TEST(SimPromptRendering, TheBufferIsReusedAndResetBetweenRequests) {
  simdjson::dom::parser parser;
  std::string scratch;
  InferenceRequest r;
  ASSERT_FALSE(parse_inference(parser, scratch, R"({"model":"m","prompt":"a long first prompt"})", Api::kGenerate, r));
  ASSERT_FALSE(parse_inference(parser, scratch, R"({"model":"m","prompt":"two"})", Api::kGenerate, r));
  EXPECT_EQ(r.rendered, std::string("two\0", 4));
  ASSERT_FALSE(parse_inference(parser, scratch, R"({"model":"m","input":"text"})", Api::kEmbed, r));
  EXPECT_TRUE(r.rendered.empty()) << "embeddings render nothing";
  EXPECT_EQ(r.prompt_bytes, 4u);
}

}  // namespace
}  // namespace corral::sim
