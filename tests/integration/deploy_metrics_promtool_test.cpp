// A populated gateway registry passes Prometheus' own checker (`promtool check metrics`):
// names, HELP/TYPE, histogram shape, label escaping as Prometheus reads them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "metrics/corral_metrics.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using namespace corral::metrics;

TEST(DeployMetrics, PopulatedRegistryPassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package 'prometheus'); exposition unchecked";
  }
  CorralMetrics m;
  const auto b1 = m.backend_id("gpu-1");
  const auto b2 = m.backend_id("gpu \"2\"\\odd\nname");
  const auto pool = m.pool_id("default");
  m.add_configured_models(std::vector<std::string>{"llama3:8b"});
  for (int i = 0; i < 50; ++i) {
    RequestRecord r;
    r.model = m.model_id(i % 3 ? "llama3:8b" : "qwen2.5:7b-instruct-q4_K_M");
    r.status = i % 10 ? 200 : 503;
    r.backend = i % 2 ? b1 : b2;
    r.pool = pool;
    r.duration = std::chrono::milliseconds(100 + 37 * i);
    r.time_to_first_token = std::chrono::milliseconds(20 + i);
    r.eval_duration = 1s;
    r.load_duration = 4s;
    r.completion_tokens = 30 + static_cast<unsigned>(i);
    r.prompt_tokens = 12;
    r.bytes_in = 300;
    r.bytes_out = 4000;
    r.queue_wait = 5ms;
    r.placement = i % 7 ? Placement::warm : Placement::cold;
    m.record_request(r);
  }
  m.backend_request_started(b1);
  m.set_backend_up(b1, true);
  m.set_backend_up(b2, false);
  m.set_worker_queue_depth(b1, 3);
  m.set_pool_queue_depth(pool, 12);
  m.set_recommended_workers(pool, 3);
  m.record_retry(b2);
  m.record_ejection(b2);
  m.record_queue_rejection(pool, QueueRejection::full);
  m.record_model_load(m.model_id("llama3:8b"), b1, 2500ms);
  m.set_active_models(2);
  m.record_config_reload(true);
  m.record_internal_error();
  m.set_redis_up(true);
  m.set_admission_totals({.key_requests = 4, .key_tokens = 2, .ip_requests = 7, .redis_configured = true,
                          .redis_up = false, .redis_errors = 3, .redis_fail_open = 5});

  const auto text = m.prometheus_text();
  const auto file = fs::temp_directory_path() / ("corral-metrics-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(file) << text;
  const std::string cmd = "promtool check metrics < " + file.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int st = pclose(p);
  fs::remove(file);
  EXPECT_EQ(st, 0) << "promtool says:\n" << out << "\non:\n" << text;
  // Every gateway metric of the list is in the exposition.
  for (const auto& d : all_metric_defs()) {
    if (d.exporter == Exporter::gateway) {
      EXPECT_NE(text.find("# TYPE " + std::string(d.name) + " "), std::string::npos) << d.name;
    }
  }
  for (const char* line : {R"(ollama_gateway_rate_limited_total{scope="key",kind="requests"} 4)",
                           R"(ollama_gateway_rate_limited_total{scope="key",kind="tokens"} 2)",
                           R"(ollama_gateway_rate_limited_total{scope="ip",kind="requests"} 7)",
                           "ollama_gateway_redis_up 0", "ollama_gateway_redis_errors_total 3",
                           "ollama_gateway_redis_fail_open_total 5"}) {
    EXPECT_NE(text.find(std::string("\n") + line + "\n"), std::string::npos) << line << " in\n" << text;
  }
}

}  // namespace
