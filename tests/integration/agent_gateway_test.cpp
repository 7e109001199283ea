// The gateway reads a worker's VRAM from its `corral agent` (backend key `agent:`): a sim as the worker,
// the agent over the fake NVML (tests/fake_nvml; values from a script file the test rewrites), and a
// gateway polling it. The status JSON shows the agent's numbers (and says "unknown" for a worker with
// neither agent nor `vram`), the scale advisor steps up on VRAM > 85 %, and a dead agent falls back to
// the configured `vram`.
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

#ifdef FAKE_NVML_DIR
const std::string kFakeNvml = std::string(FAKE_NVML_DIR) + "/libnvidia-ml.so.1";
#else
const std::string kFakeNvml;
#endif

const boost::json::object& worker(const boost::json::object& status, std::string_view name) {
  for (const auto& w : status.at("workers").as_array()) {
    if (w.as_object().at("name").as_string() == name) return w.as_object();
  }
  throw std::runtime_error("no worker " + std::string(name));
}

TEST(AgentGateway, StatusAndScaleFollowTheAgentsVram) {
  if (kFakeNvml.empty()) GTEST_SKIP() << "fake NVML not built";
  const std::string script = write_temp("", ".nvml");
  replace_file(script,  // atomically: the fake never reads a half-written script
               "gpu total=24000000000 used=6000000000 util=35 name=NVIDIA A10G\n");
  auto agent = std::make_unique<Server>(std::vector<std::string>{"agent", "--listen", "127.0.0.1:0", "--nvml-lib", kFakeNvml},
                                        std::vector<std::string>{"FAKE_NVML_CONFIG=" + script});
  auto a = start_sim({"llama3:8b=1GB"});
  auto b = start_sim({"llama3:8b=1GB"});
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 2\nadmin:\n  listen: 127.0.0.2:0\n"
                                       "models_poll_interval: 50ms\n"
                                       "pools:\n  - name: p\n    backends:\n"
                                       "      - url: " + a.url() + "\n        name: gpu-a\n        vram: 8GiB\n"
                                       "        agent: http://" + agent->address + "\n"
                                       "      - url: " + b.url() + "\n        name: gpu-b\n")});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  const auto status = [&] { return parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object(); };
  const auto scale = [&] {
    return parse_json(http_request(admin, "GET", "/corral/api/scale").body).at("pools").as_array().at(0).as_object();
  };

  boost::json::object s;
  ASSERT_TRUE(poll_until([&] {
    s = status();
    return worker(s, "gpu-a").at("vram_source").as_string() == "agent";
  }));
  const auto& gpu_a = worker(s, "gpu-a");
  EXPECT_EQ(gpu_a.at("vram_total_bytes").as_int64(), 24000000000);  // the agent's, not the configured 8GiB
  EXPECT_EQ(gpu_a.at("vram_used_bytes").as_int64(), 6000000000);
  EXPECT_EQ(gpu_a.at("gpu_utilization_pct").to_number<double>(), 35);
  EXPECT_TRUE(gpu_a.at("agent").as_object().at("up").as_bool());
  const auto& gpu_b = worker(s, "gpu-b");
  EXPECT_EQ(gpu_b.at("vram_source").as_string(), "unknown");  // neither agent nor vram: said, not guessed
  EXPECT_FALSE(gpu_b.contains("vram_total_bytes"));
  EXPECT_EQ(scale().at("direction").as_string(), "hold");  // 25 % used

  replace_file(script, "gpu total=24000000000 used=21000000000 util=97 name=NVIDIA A10G\n");  // 87.5 %
  ASSERT_TRUE(poll_until([&] { return worker(status(), "gpu-a").at("vram_used_bytes").as_int64() == 21000000000; }));
  const auto up = scale();
  EXPECT_EQ(up.at("direction").as_string(), "up");
  EXPECT_EQ(up.at("recommended").as_int64(), 3);  // one step above the two workers running
  EXPECT_NE(std::string(up.at("reason").as_string()).find("VRAM"), std::string::npos) << up;
  EXPECT_GT(up.at("max_vram_ratio").to_number<double>(), 0.85);

  agent.reset();  // the agent dies: the configured vram applies again
  ASSERT_TRUE(poll_until([&] {
    s = status();
    return worker(s, "gpu-a").at("vram_source").as_string() == "config";
  }));
  EXPECT_EQ(worker(s, "gpu-a").at("vram_total_bytes").as_int64(), 8LL << 30);
  EXPECT_FALSE(worker(s, "gpu-a").at("agent").as_object().at("up").as_bool());
  std::filesystem::remove(script);
}

TEST(AgentGateway, AgentKeyIsValidatedLikeUrl) {
  const auto check = [](const std::string& agent) {
    return run_corral({"check-config", "-c", write_temp("pools:\n  - name: p\n    backends:\n      - url: http://127.0.0.1:1\n"
                                                        "        agent: \"" + agent + "\"\n")})
        .exit_code;
  };
  EXPECT_EQ(check("http://127.0.0.1:9090"), 0);
  for (const std::string bad : {"ftp://x:1", "https://127.0.0.1:9", "http://127.0.0.1:9?x=1", "http://"}) {
    EXPECT_EQ(check(bad), 1) << bad;
  }
}

}  // namespace
}  // namespace corral::testing
