// Ollama's model-name rules (types/model/name.go; ollama-api.md section 3) as common::ModelName applies them.
#include "common/model_name.hpp"

#include <gtest/gtest.h>

namespace corral::common {
namespace {

std::string key(std::string_view s) {
  auto n = ModelName::parse(s);
  return n ? n->key() : "<invalid>";
}
std::string display(std::string_view s) {
  auto n = ModelName::parse(s);
  return n ? n->display() : "<invalid>";
}

TEST(ModelName, DefaultsFillHostNamespaceAndTag) {
  EXPECT_EQ(key("llama3"), "registry.ollama.ai/library/llama3:latest");
  EXPECT_EQ(key("llama3:8b"), "registry.ollama.ai/library/llama3:8b");
  EXPECT_EQ(key("user/m"), "registry.ollama.ai/user/m:latest");
  EXPECT_EQ(key("localhost:5000/ns/m"), "localhost:5000/ns/m:latest");
  EXPECT_EQ(key("hf.co/org/repo:Q4_K_M"), "hf.co/org/repo:q4_k_m");
}

TEST(ModelName, EquivalentSpellingsShareOneKey) {
  const std::string k = key("llama3");
  for (auto s : {"llama3:latest", "library/llama3", "library/llama3:latest", "registry.ollama.ai/library/llama3:latest",
                 "LLAMA3", "Llama3:Latest", "  llama3  ", "https://registry.ollama.ai/library/llama3"}) {
    EXPECT_EQ(key(s), k) << s;
  }
  EXPECT_NE(key("llama3:8b"), k);
  EXPECT_NE(key("other/llama3"), k);
}

TEST(ModelName, DisplayIsShortestFormWithTagAndKeepsCase) {
  EXPECT_EQ(display("llama3"), "llama3:latest");
  EXPECT_EQ(display("registry.ollama.ai/library/Llama3:8B"), "Llama3:8B");
  EXPECT_EQ(display("user/m"), "user/m:latest");
  EXPECT_EQ(display("hf.co/org/repo:Q4_K_M"), "hf.co/org/repo:Q4_K_M");
  EXPECT_EQ(display("example.com/library/m"), "example.com/library/m:latest") << "library dropped only on the default host";
  EXPECT_EQ(ModelName::parse("LLAMA3")->short_key(), "llama3:latest");
}

TEST(ModelName, EmptyAndInvalidAreToldApart) {
  ModelNameError e{};
  EXPECT_FALSE(ModelName::parse("", &e));
  EXPECT_EQ(e, ModelNameError::kEmpty);
  EXPECT_FALSE(ModelName::parse("   ", &e));
  EXPECT_EQ(e, ModelNameError::kEmpty);
  for (auto s : {"m:", "/m", "ns/", "-m", ".m", "m:-tag", "ns.x/m", "a b", "m@x", "m:t:t2/x/", "h/ns/m/x/"}) {
    e = ModelNameError::kEmpty;
    EXPECT_FALSE(ModelName::parse(s, &e)) << s;
    EXPECT_EQ(e, ModelNameError::kInvalid) << s;
  }
}

TEST(ModelName, PartLengthLimits) {
  EXPECT_TRUE(ModelName::parse(std::string(80, 'm')));
  EXPECT_FALSE(ModelName::parse(std::string(81, 'm')));
  EXPECT_TRUE(ModelName::parse("m:" + std::string(80, 't')));
  EXPECT_FALSE(ModelName::parse("m:" + std::string(81, 't')));
  std::string host(350, 'h');
  host.append("/ns/m");  // (not operator+: GCC 12 warns falsely on it)
  EXPECT_TRUE(ModelName::parse(host));
  host.insert(0, "h");
  EXPECT_FALSE(ModelName::parse(host));
  EXPECT_TRUE(ModelName::parse("_m"));
  EXPECT_TRUE(ModelName::parse("m.v2-x_y:1.5b-q4_0"));
}

TEST(ModelName, AppendShortKeyMatchesTheClass) {
  for (auto s : {"llama3", "Qwen2:0.5B", "user/M", "localhost:5000/ns/m:t"}) {
    std::string out = "prefix|";
    ASSERT_TRUE(append_short_key(out, s)) << s;
    EXPECT_EQ(out, "prefix|" + ModelName::parse(s)->short_key());
  }
  std::string out;
  ModelNameError e{};
  EXPECT_FALSE(append_short_key(out, "", &e));
  EXPECT_EQ(e, ModelNameError::kEmpty);
  EXPECT_FALSE(append_short_key(out, "bad name", &e));
  EXPECT_EQ(e, ModelNameError::kInvalid);
}

}  // namespace
}  // namespace corral::common
