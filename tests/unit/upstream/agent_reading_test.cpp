// Which VRAM numbers Corral believes for a backend: the agent's answer parsed and summed over GPUs, the
// agent's view while it is up, the configured `vram` when it is down, nothing when neither is known.
#include "upstream/agent_reading.hpp"

#include <gtest/gtest.h>

#include "upstream/backend.hpp"

namespace corral::upstream {
namespace {

config::BackendConfig backend_config(bool with_agent, std::optional<std::uint64_t> vram) {
  config::BackendConfig c;
  c.url = "http://127.0.0.1:1";
  c.host = "127.0.0.1";
  c.port = 1;
  c.name = "gpu";
  c.vram = vram;
  if (with_agent) {
    c.agent = "http://127.0.0.1:2";
    c.agent_host = "127.0.0.1";
    c.agent_port = 2;
  }
  return c;
}

TEST(AgentReading, ParsesAndSumsTheGpus) {
  const auto s = parse_agent_report(
      R"({"nvml_ok":true,"gpus":[{"vram_total_bytes":100,"vram_used_bytes":40,"utilization_pct":30},)"
      R"({"vram_total_bytes":50,"vram_used_bytes":10,"utilization_pct":null}]})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->vram_total, 150u);
  EXPECT_EQ(s->vram_used, 50u);
  EXPECT_EQ(s->gpu_utilization_pct, 30.0);  // the GPU that reports none does not count
}

TEST(AgentReading, AnAgentWithoutAGpuReadingKnowsNothing) {
  EXPECT_FALSE(parse_agent_report(R"({"nvml_ok":false,"gpus":[]})"));
  EXPECT_FALSE(parse_agent_report(R"({"nvml_ok":true,"gpus":[]})"));
  EXPECT_FALSE(parse_agent_report(R"({"nvml_ok":true,"gpus":[{"vram_total_bytes":"x"}]})"));
  EXPECT_FALSE(parse_agent_report("not json"));
}

TEST(AgentReading, TheAgentWinsWhileUpAndTheConfigurationAfter) {
  const auto cfg = backend_config(true, 1000);
  Backend b(cfg, "p", config::HealthConfig{});
  EXPECT_EQ(vram_view(b, &cfg).source, VramSource::kConfig);  // not heard from yet
  EXPECT_EQ(placement_vram(b, cfg), 1000u);

  auto model = b.catalog.state(42, "m:latest");
  model->loaded.store(true);
  model->vram_bytes.store(300);
  EXPECT_TRUE(b.agent_reading.store({.vram_total = 2000, .vram_used = 500, .gpu_utilization_pct = 50}));
  const VramView v = vram_view(b, &cfg);
  EXPECT_EQ(v.source, VramSource::kAgent);
  EXPECT_EQ(v.total, 2000u);
  EXPECT_EQ(v.used, 500u);
  EXPECT_EQ(v.gpu_utilization_pct, 50.0);
  // 200 bytes are held by something other than the model Corral knows: placement plans on 1800.
  EXPECT_EQ(placement_vram(b, cfg), 1800u);

  EXPECT_TRUE(b.agent_reading.mark_down());
  EXPECT_EQ(vram_view(b, &cfg).source, VramSource::kConfig);
  EXPECT_EQ(vram_view(b, &cfg).used, 300u);  // the models loaded there
  EXPECT_EQ(placement_vram(b, cfg), 1000u);
}

TEST(AgentReading, NeitherAgentNorVramIsUnknown) {
  const auto cfg = backend_config(false, std::nullopt);
  Backend b(cfg, "p", config::HealthConfig{});
  const VramView v = vram_view(b, &cfg);
  EXPECT_EQ(v.source, VramSource::kUnknown);
  EXPECT_FALSE(v.total);
  EXPECT_EQ(to_string(v.source), "unknown");
  EXPECT_FALSE(placement_vram(b, cfg));
}

}  // namespace
}  // namespace corral::upstream
