// Parsing what the local Ollama says at /api/ps, and the agent's --ollama URL grammar.
#include <gtest/gtest.h>

#include "agent/agent_report.hpp"
#include "agent/ollama_ps.hpp"

namespace corral::agent {
namespace {

TEST(OllamaPs, ParsesLoadedModels) {
  const auto m = parse_ollama_ps(R"({"models":[
    {"name":"llama3:8b","model":"llama3:8b","size":5137025024,"digest":"x","size_vram":5137025024,
     "expires_at":"2024-06-04T14:38:31.83753-07:00","details":{"format":"gguf"}},
    {"model":"qwen2:7b","size":4.5e9,"size_vram":-1},
    {"size":1}, 7]})");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name, "llama3:8b");
  EXPECT_EQ((*m)[0].vram_bytes, 5137025024u);
  EXPECT_EQ((*m)[0].expires_at, "2024-06-04T14:38:31.83753-07:00");
  EXPECT_EQ((*m)[1].name, "qwen2:7b");  // "model" when "name" is absent
  EXPECT_EQ((*m)[1].size_bytes, 4500000000u);
  EXPECT_EQ((*m)[1].vram_bytes, 0u);  // nonsense becomes 0, not a wrap-around
  EXPECT_TRUE(parse_ollama_ps(R"({"models":[]})")->empty());
  EXPECT_FALSE(parse_ollama_ps("not json"));
  EXPECT_FALSE(parse_ollama_ps(R"({"models":{}})"));
  EXPECT_FALSE(parse_ollama_ps("[]"));
}

TEST(OllamaPs, HttpUrls) {
  auto t = parse_http_url("http://127.0.0.1:11434");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "11434");
  t = parse_http_url("http://ollama/some/path");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, "80");
  t = parse_http_url("http://[::1]:8080");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "8080");
  EXPECT_FALSE(parse_http_url("https://x:1"));
  EXPECT_FALSE(parse_http_url("http://"));
  EXPECT_FALSE(parse_http_url("127.0.0.1:11434"));
}

TEST(AgentReport, NvmlFailureIsReportedNotHidden) {
  AgentReport r;
  r.nvml_ok = false;
  r.nvml_error = "nvmlDeviceGetCount_v2: GPU is lost (15)";
  const auto text = render_metrics(r);
  EXPECT_NE(text.find("ollama_worker_nvml_up 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ollama_worker_gpus 0\n"), std::string::npos);
  EXPECT_EQ(text.find("ollama_worker_ollama_up"), std::string::npos) << "no --ollama, no Ollama series";
  const auto json = render_json(r);
  EXPECT_NE(json.find(R"j("nvml_ok":false,"nvml_error":"nvmlDeviceGetCount_v2: GPU is lost (15)")j"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("ollama":null)"), std::string::npos);
}

}  // namespace
}  // namespace corral::agent
