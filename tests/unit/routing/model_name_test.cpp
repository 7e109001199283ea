#include "routing/model_name.hpp"

#include <gtest/gtest.h>

namespace corral::routing {
namespace {

TEST(ModelKey, DefaultsFillAndShortestFormPrints) {
  EXPECT_EQ(model_key("llama3"), "llama3:latest");
  EXPECT_EQ(model_key("llama3:latest"), "llama3:latest");
  EXPECT_EQ(model_key("library/llama3:latest"), "llama3:latest");
  EXPECT_EQ(model_key("registry.ollama.ai/library/llama3:latest"), "llama3:latest");
  EXPECT_EQ(model_key("  Llama3:8B  "), "llama3:8b");
  EXPECT_EQ(model_key("user/m"), "user/m:latest");
  EXPECT_EQ(model_key("registry.ollama.ai/user/m:t"), "user/m:t");
  EXPECT_EQ(model_key("hf.co/Org/Repo:Q4_K_M"), "hf.co/org/repo:q4_k_m");
  EXPECT_EQ(model_key("localhost:5000/ns/m"), "localhost:5000/ns/m:latest");
  EXPECT_EQ(model_key("https://example.com/ns/m:1"), "example.com/ns/m:1");
  EXPECT_EQ(model_key("example.com/library/m"), "example.com/library/m:latest");  // namespace kept off the default host
  EXPECT_EQ(model_key("qwen2.5:0.5b"), "qwen2.5:0.5b");
}

TEST(ModelKey, InvalidNames) {
  EXPECT_FALSE(model_key(""));
  EXPECT_FALSE(model_key("   "));
  EXPECT_FALSE(model_key("llama3:"));       // empty tag
  EXPECT_FALSE(model_key(":tag"));          // empty model
  EXPECT_FALSE(model_key("ns/"));           // empty model
  EXPECT_FALSE(model_key("/m"));            // empty namespace
  EXPECT_FALSE(model_key("-m"));            // first character
  EXPECT_FALSE(model_key("m!x"));
  EXPECT_FALSE(model_key("n.s/m"));         // '.' not allowed in a namespace
  EXPECT_FALSE(model_key("a/b/c/d"));       // '/' in the host
  EXPECT_FALSE(model_key(std::string(81, 'a')));
  EXPECT_TRUE(model_key(std::string(80, 'a')));
}

TEST(ModelKey, RepeatedNamesGiveTheSameKeysWhateverWasResolvedInBetween) {
  // model_key remembers recent names per thread: many distinct names in turn, valid and not, must each
  // still get their own answer.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) {
      const std::string name = "Model" + std::to_string(i) + ":7B";
      EXPECT_EQ(model_key(name), "model" + std::to_string(i) + ":7b") << name;
      EXPECT_EQ(model_key("bad name " + std::to_string(i)), std::nullopt);
    }
    EXPECT_EQ(model_key("llama3"), "llama3:latest");
    EXPECT_EQ(model_key("LLAMA3:latest"), "llama3:latest");
  }
}

TEST(ModelKey, StripTag) {
  EXPECT_EQ(strip_tag("llama3:70b"), "llama3");
  EXPECT_EQ(strip_tag("localhost:5000/m:t"), "localhost:5000/m");
  EXPECT_EQ(strip_tag("localhost:5000/m"), "localhost:5000/m");
  EXPECT_EQ(strip_tag("m"), "m");
}

}  // namespace
}  // namespace corral::routing
