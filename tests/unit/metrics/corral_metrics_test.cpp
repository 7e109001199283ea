// The gateway's metric set: exact counts under concurrency, the model cardinality cap, what
// one RequestRecord moves, and that the single list is well-formed.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "metrics/corral_metrics.hpp"

namespace corral::metrics {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CorralMetrics, CountsExactlyUnderConcurrency) {
  CorralMetrics m;
  const auto backend = m.backend_id("gpu-1");
  const auto model = m.model_id("llama3:8b");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        m.backend_request_started(backend);
        RequestRecord r;
        r.model = model;
        r.backend = backend;
        r.status = 200;
        r.duration = 150ms;
        r.completion_tokens = 2;
        m.record_request(r);
        m.backend_request_finished(backend);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto text = m.prometheus_text();
  const std::string n = std::to_string(kThreads * kPerThread);
  EXPECT_TRUE(contains(text, "ollama_gateway_requests_total{model=\"llama3:8b\",status=\"200\"} " + n + "\n")) << text;
  EXPECT_TRUE(contains(text, "ollama_request_duration_seconds_count{model=\"llama3:8b\"} " + n + "\n"));
  EXPECT_TRUE(contains(text, "ollama_backend_requests_total{backend=\"gpu-1\"} " + n + "\n"));
  EXPECT_TRUE(contains(text, "ollama_completion_tokens_total{model=\"llama3:8b\"} " + std::to_string(2 * kThreads * kPerThread) + "\n"));
  EXPECT_TRUE(contains(text, "ollama_active_requests{backend=\"gpu-1\"} 0\n"));
  // 160000 x 0.15 s, summed exactly in microseconds.
  EXPECT_TRUE(contains(text, "ollama_request_duration_seconds_sum{model=\"llama3:8b\"} 24000\n"));
}

// The proxy looks a name up before it decides to give it a label: looking up takes no slot, so names it
// then counts as "other" (no backend has them) leave every slot to the models that come later.
TEST(CorralMetrics, LookingANameUpTakesNoSlot) {
  CorralMetrics::Options o;
  o.model_cap = 2;
  CorralMetrics m(o);
  for (int i = 0; i < 150; ++i) EXPECT_FALSE(m.find_model_id("junk-" + std::to_string(i) + ":latest"));
  const ModelId real = m.model_id("real:1b");
  EXPECT_NE(real, ModelInterner::kOther);
  EXPECT_EQ(m.find_model_id("real:1b"), real);
  EXPECT_NE(m.model_id("second:1b"), ModelInterner::kOther);
  EXPECT_EQ(m.model_id("third:1b"), ModelInterner::kOther);  // the cap still holds for real names
  EXPECT_FALSE(m.find_model_id("third:1b"));
  EXPECT_EQ(m.find_model_id("other"), ModelInterner::kOther);
}

TEST(CorralMetrics, ModelsBeyondTheCapBecomeOther) {
  CorralMetrics::Options o;
  o.model_cap = 3;
  CorralMetrics m(o);
  const std::vector<std::string> configured{"configured-a", "configured-b"};
  m.add_configured_models(configured);
  std::vector<ModelId> ids;
  for (const char* n : {"seen-1", "seen-2", "seen-3", "seen-4", "seen-5"}) ids.push_back(m.model_id(n));
  EXPECT_NE(ids[0], ModelInterner::kOther);
  EXPECT_NE(ids[2], ModelInterner::kOther);
  EXPECT_EQ(ids[3], ModelInterner::kOther);
  EXPECT_EQ(ids[4], ModelInterner::kOther);
  EXPECT_EQ(m.model_id("seen-2"), ids[1]);  // stable
  EXPECT_EQ(m.model_name(ids[2]), "seen-3");
  EXPECT_NE(m.model_id("configured-b"), ModelInterner::kOther);  // configured never count against the cap

  for (ModelId id : ids) {
    RequestRecord r;
    r.model = id;
    m.record_request(r);
  }
  const auto text = m.prometheus_text();
  EXPECT_TRUE(contains(text, "ollama_gateway_requests_total{model=\"other\",status=\"200\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "ollama_gateway_requests_total{model=\"seen-3\",status=\"200\"} 1\n"));
  EXPECT_FALSE(contains(text, "seen-4"));
  EXPECT_FALSE(contains(text, "seen-5"));
}

TEST(CorralMetrics, OneRecordMovesEveryRelatedSeries) {
  CorralMetrics m;
  const auto b = m.backend_id("w1");
  const auto p = m.pool_id("default");
  RequestRecord r;
  r.model = m.model_id("qwen2:7b");
  r.backend = b;
  r.pool = p;
  r.status = 200;
  r.duration = 3s;
  r.time_to_first_token = 1s;
  r.eval_duration = 2s;
  r.load_duration = 6s;
  r.prompt_tokens = 11;
  r.completion_tokens = 40;
  r.bytes_in = 100;
  r.bytes_out = 2000;
  r.queue_wait = 20ms;
  r.placement = Placement::cold;
  m.record_request(r);
  m.record_retry(b);
  m.record_queue_rejection(p, QueueRejection::timeout);
  m.set_pool_queue_depth(p, 7);
  m.set_backend_up(b, true);
  m.record_config_reload(false);
  const auto t = m.prometheus_text();
  for (const char* line : {
           "ollama_time_to_first_token_seconds_count{model=\"qwen2:7b\"} 1\n",
           "ollama_tokens_per_second_bucket{model=\"qwen2:7b\",le=\"20\"} 1\n",   // 40 / 2 s = 20
           "ollama_tokens_per_second_bucket{model=\"qwen2:7b\",le=\"15\"} 0\n",
           "ollama_prompt_tokens_total{model=\"qwen2:7b\"} 11\n",
           "ollama_gateway_cold_loads_total{model=\"qwen2:7b\"} 1\n",
           "ollama_gateway_warm_hits_total{model=\"qwen2:7b\"} 0\n",
           "ollama_model_load_duration_seconds_bucket{model=\"qwen2:7b\",backend=\"w1\",le=\"5\"} 0\n",
           "ollama_model_load_duration_seconds_bucket{model=\"qwen2:7b\",backend=\"w1\",le=\"7.5\"} 1\n",
           "ollama_gateway_queue_wait_seconds_count{pool=\"default\"} 1\n",
           "ollama_gateway_received_bytes_total 100\n",
           "ollama_gateway_sent_bytes_total 2000\n",
           "ollama_gateway_retries_total{backend=\"w1\"} 1\n",
           "ollama_gateway_queue_rejections_total{pool=\"default\",reason=\"timeout\"} 1\n",
           "ai_request_queue_depth{pool=\"default\"} 7\n",
           "ollama_backend_up{backend=\"w1\"} 1\n",
           "ollama_gateway_config_reloads_total{result=\"failure\"} 1\n",
       }) {
    EXPECT_TRUE(contains(t, line)) << "missing: " << line;
  }
  const auto w = m.window().snapshot(WindowStats::Clock::now());
  EXPECT_EQ(w.requests, 1u);
}

TEST(CorralMetrics, StatusLabelsAreBounded) {
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(200)), "200");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(503)), "503");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(499)), "499");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(418)), "4xx");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(302)), "3xx");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(599)), "5xx");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(42)), "other");
  EXPECT_EQ(CorralMetrics::status_label(CorralMetrics::status_slot(-1)), "other");
}

TEST(CorralMetrics, RetiredBackendsLeaveTheExpositionAndComeBack) {
  CorralMetrics m;
  const auto b = m.backend_id("old");
  m.set_backend_up(b, true);
  m.set_backend_visible(b, false);
  EXPECT_FALSE(contains(m.prometheus_text(), "backend=\"old\""));
  EXPECT_EQ(m.backend_id("old"), b);
  EXPECT_TRUE(contains(m.prometheus_text(), "ollama_backend_up{backend=\"old\"} 1\n"));
  // Unknown ids are ignored, not a crash.
  m.set_backend_up(kNoBackend, true);
  m.record_retry(999);
}

TEST(MetricList, NamesAreUniqueAndSeedNamesPresent) {
  std::set<std::string_view> names;
  for (const auto& d : all_metric_defs()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    EXPECT_FALSE(d.help.empty()) << d.name;
    EXPECT_EQ(d.type == MetricType::histogram, !d.buckets.empty()) << d.name;
    if (d.type == MetricType::counter) {
      EXPECT_TRUE(d.name.ends_with("_total")) << d.name;
    }
  }
  for (const char* seed : {"ollama_gateway_requests_total", "ollama_request_duration_seconds", "ollama_active_requests",
                           "ollama_model_load_duration_seconds", "ollama_gateway_active_models", "ai_request_queue_depth",
                           "ollama_worker_queue_depth", "ollama_worker_vram_used_bytes", "ollama_worker_vram_free_bytes",
                           "ollama_worker_vram_total_bytes", "ollama_worker_gpu_utilization_pct"}) {
    EXPECT_TRUE(names.count(seed)) << seed;
  }
  EXPECT_TRUE(is_exported_series_name("ollama_request_duration_seconds_bucket"));
  EXPECT_TRUE(is_exported_series_name("ollama_gateway_requests_total"));
  EXPECT_FALSE(is_exported_series_name("ollama_gateway_requests_total_bucket"));
  EXPECT_FALSE(is_exported_series_name("ollama_gpu_utilization_percent"));
}

}  // namespace
}  // namespace corral::metrics
