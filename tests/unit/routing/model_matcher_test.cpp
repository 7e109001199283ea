#include "routing/model_matcher.hpp"

#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace corral::routing {
namespace {

TEST(GlobMatch, Basics) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("llama3:70b*", "llama3:70b"));
  EXPECT_TRUE(glob_match("llama3:70b*", "llama3:70b-instruct-q4"));
  EXPECT_FALSE(glob_match("llama3:70b*", "llama3:8b"));
  EXPECT_TRUE(glob_match("q?en*", "qwen2.5"));
  EXPECT_TRUE(glob_match("*-instruct", "llama-3-instruct"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYYbZ"));
  EXPECT_TRUE(glob_match("LLAMA*", "llama3"));
  EXPECT_FALSE(glob_match("llama", "llama3"));
  EXPECT_FALSE(glob_match("?", ""));
}

TEST(ModelMatcher, FirstMatchWinsThenDefault) {
  const auto config = config::parse_config(R"(
pools:
  - {name: small, backends: [http://a:1]}
  - {name: big, backends: [http://b:1]}
  - {name: qwen, backends: [http://c:1]}
models:
  - {match: "llama3:70b*", pool: big}
  - {match: "qwen*", pool: qwen}
  - {match: "Mistral", pool: big}
default_pool: small
)",
                                           "t.yaml");
  const ModelMatcher m(config);
  EXPECT_EQ(m.pool_for("llama3:70b"), 1U);
  EXPECT_EQ(m.pool_for("llama3:70b-instruct"), 1U);
  EXPECT_EQ(m.pool_for("llama3:8b"), 0U);
  EXPECT_EQ(m.pool_for("qwen2.5:0.5b"), 2U);   // no ':' in the pattern: matched without the tag
  EXPECT_EQ(m.pool_for("mistral:latest"), 1U);  // case-insensitive, any tag
  EXPECT_EQ(m.pool_for("mistral-nemo:latest"), 0U);
  EXPECT_EQ(m.rule_for("qwen:1"), 1U);
  EXPECT_EQ(m.rule_for("phi3:latest"), ModelMatcher::npos);
}

}  // namespace
}  // namespace corral::routing
