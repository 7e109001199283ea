// Deterministic pseudo-text and Go's JSON scanner texts as the simulator uses them.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/go_json_scan.hpp"
#include "sim/text_generator.hpp"

namespace corral::sim {
namespace {

std::string run(std::uint64_t seed, std::string_view prompt, int n) {
  TextGenerator g(seed, prompt);
  std::string out;
  for (int i = 0; i < n; ++i) out += g.next().text;
  return out;
}

TEST(TextGenerator, SameSeedAndPromptSameText) {
  EXPECT_EQ(run(1, "hello", 40), run(1, "hello", 40));
  EXPECT_EQ(TextGenerator(1, "hello").natural_length(), TextGenerator(1, "hello").natural_length());
  EXPECT_NE(run(1, "hello", 40), run(2, "hello", 40));
  EXPECT_NE(run(1, "hello", 40), run(1, "hellp", 40));
}

TEST(TextGenerator, NaturalLengthInRangeAndTokensNonEmpty) {
  for (int i = 0; i < 200; ++i) {
    TextGenerator g(static_cast<std::uint64_t>(i), "p");
    EXPECT_GE(g.natural_length(), 12);
    EXPECT_LT(g.natural_length(), 64);
    for (int k = 0; k < 10; ++k) EXPECT_FALSE(g.next().text.empty());
  }
}

TEST(TextGenerator, PromptTokensAndContextIds) {
  EXPECT_EQ(count_prompt_tokens(0), 0);
  EXPECT_EQ(count_prompt_tokens(1), 1);
  EXPECT_EQ(count_prompt_tokens(8), 2);
  EXPECT_EQ(count_prompt_tokens(9), 3);
  std::vector<int> ids;
  append_prompt_ids(ids, "abcdefghij", 100);
  EXPECT_EQ(ids.size(), 3u);
  ids.clear();
  append_prompt_ids(ids, std::string(400, 'x'), 10);
  EXPECT_EQ(ids.size(), 10u) << "only the last num_ctx tokens";
}

TEST(TextGenerator, EmbeddingsAreDeterministicAndNormalised) {
  auto a = pseudo_embedding(3, "text", 64, true);
  EXPECT_EQ(a, pseudo_embedding(3, "text", 64, true));
  double norm = 0;
  for (float x : a) norm += static_cast<double>(x) * x;
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
  EXPECT_NE(a, pseudo_embedding(3, "other", 64, true));
}

TEST(GoJsonScan, FirstValueOnlyLikeGosDecoder) {
  auto r = scan_go_json(R"(  {"a":[1,2,{"b":null}]} trailing garbage)");
  ASSERT_EQ(r.status, GoScan::Status::kOk);
  EXPECT_EQ(r.end, 24u);
  EXPECT_EQ(scan_go_json("  \n ").status, GoScan::Status::kEmpty);
  EXPECT_EQ(scan_go_json("").status, GoScan::Status::kEmpty);
}

TEST(GoJsonScan, ErrorTextsMatchGo) {
  auto err = [](std::string_view s) { return scan_go_json(s).error; };
  EXPECT_EQ(err("x"), "invalid character 'x' looking for beginning of value");
  EXPECT_EQ(err("{\"a\":1,}"), "invalid character '}' looking for beginning of object key string");
  EXPECT_EQ(err("{\"a\" 1}"), "invalid character '1' after object key");
  EXPECT_EQ(err("{\"a\":1 \"b\"}"), "invalid character '\"' after object key:value pair");
  EXPECT_EQ(err("[1 2]"), "invalid character '2' after array element");
  EXPECT_EQ(err("{\"a\":tru}"), "invalid character '}' in literal true (expecting 'e')");
  EXPECT_EQ(err("{\"a\":-x}"), "invalid character 'x' in numeric literal");
  EXPECT_EQ(err("{\"a\":1.}"), "invalid character '}' after decimal point in numeric literal");
  EXPECT_EQ(err("{\"a\":\"\\q\"}"), "invalid character 'q' in string escape code");
  EXPECT_EQ(err("{\"a\":\"\n\"}"), "invalid character '\\n' in string literal");
  EXPECT_EQ(err("{\"a\":"), "unexpected EOF");
  EXPECT_EQ(err("{\"a\":\"abc"), "unexpected EOF");
  EXPECT_EQ(err("'"), "invalid character '\\'' looking for beginning of value");
}

TEST(GoJsonScan, DeepNestingFailsWithoutRecursion) {
  EXPECT_EQ(scan_go_json(std::string(200000, '[')).error, "exceeded max depth");
  const std::string ok = std::string(500, '[') + std::string(500, ']');
  EXPECT_EQ(scan_go_json(ok).status, GoScan::Status::kOk);
}

}  // namespace
}  // namespace corral::sim
