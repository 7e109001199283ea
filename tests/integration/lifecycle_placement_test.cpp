// Model placement on simulator fleets (docs/models.md): warm backends first, one load for a burst on a
// cold model (single flight), never a model on a backend whose VRAM it exceeds, one more replica under
// queue pressure and idle replicas unloaded afterwards, prewarm before readiness. Evidence comes from
// the simulators' own counters (/sim/stats loads, unloads, loaded, requests).
#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

// A simulator whose loads take about `load_gbps` per GB (slow enough that a burst overlaps the load).
Server slow_sim(const std::vector<std::string>& models, const std::string& load_gbps, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--load-gbps", load_gbps});
  return start_sim(models, extra);
}

// `n` client threads sending /api/generate for `model` back to back until destroyed; counts non-200s.
class LoopingClients {
 public:
  LoopingClients(const Server& gw, std::string model, int n, int tokens) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this, &gw, model, tokens] {
        while (!stop_) {
          if (http_request(gw.address, "POST", "/api/generate", generate_body(model, tokens)).status != 200) ++failed_;
        }
      });
    }
  }
  ~LoopingClients() { join(); }
  LoopingClients(const LoopingClients&) = delete;
  LoopingClients& operator=(const LoopingClients&) = delete;
  /// Stops the loops and waits for the requests under way; returns how many requests failed.
  int join() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    return failed_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> failed_{0};
  std::vector<std::thread> threads_;
};

TEST(LifecyclePlacement, WarmWorkerIsPreferredOverIdleColdOnes) {
  auto a = start_sim({"m1=1GB", "m2=1GB"});
  auto b = start_sim({"m1=1GB", "m2=1GB"});
  auto c = start_sim({"m1=1GB", "m2=1GB"});
  // One model warm on each of two different workers: a hash or least-loaded choice would miss at least one.
  preload(a, "m1");
  preload(b, "m2");
  Server gw({"serve", "-c", fleet_config({{&a, "24GB"}, {&b, "24GB"}, {&c, "24GB"}})});
  ASSERT_TRUE(wait_ready(gw));
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("m1", 1)).status, 200);
    ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("m2", 1)).status, 200);
  }
  EXPECT_EQ(fleet_stat({&a, &b, &c}, "loads"), 2);  // the two preloads, nothing more
  EXPECT_EQ(stat(a, "requests"), 1 + 4);
  EXPECT_EQ(stat(b, "requests"), 1 + 4);
  EXPECT_EQ(stat(c, "requests"), 0);
}

TEST(LifecyclePlacement, ConcurrentRequestsForAColdModelCauseOneLoad) {
  // 2 GB at 2 GB/s: a one-second load that the whole burst arrives during.
  auto a = slow_sim({"big=2GB"}, "2");
  auto b = slow_sim({"big=2GB"}, "2");
  auto c = slow_sim({"big=2GB"}, "2");
  Server gw({"serve", "-c", fleet_config({{&a, "24GB", 2}, {&b, "24GB", 2}, {&c, "24GB", 2}})});
  ASSERT_TRUE(wait_ready(gw));
  EXPECT_EQ(concurrent_generate(gw, "big", 8), 8);
  EXPECT_EQ(fleet_stat({&a, &b, &c}, "loads"), 1);
  EXPECT_EQ(replicas_of({&a, &b, &c}, "big:latest"), 1);
}

TEST(LifecyclePlacement, AModelNeverGoesWhereItExceedsTheVram) {
  auto s1 = start_sim({"huge=4GB", "tiny=100MB"}, {"--vram", "2GB"});
  auto s2 = start_sim({"huge=4GB", "tiny=100MB"}, {"--vram", "2GB"});
  auto s3 = start_sim({"huge=4GB", "tiny=100MB"}, {"--vram", "2GB"});
  auto big = start_sim({"huge=4GB", "tiny=100MB"}, {"--vram", "24GB"});
  Server gw({"serve", "-c", fleet_config({{&s1, "2GB", 4}, {&s2, "2GB", 4}, {&s3, "2GB", 4}, {&big, "24GB", 4}})});
  ASSERT_TRUE(wait_ready(gw));
  // Concurrency spreads a least-loaded choice; VRAM must still keep `huge` on the one card it fits.
  EXPECT_EQ(concurrent_generate(gw, "huge", 12), 12);
  EXPECT_EQ(stat(big, "requests"), 12);
  EXPECT_EQ(fleet_stat({&s1, &s2, &s3}, "requests"), 0);
  // A model too large for every backend is refused by the gateway, not sent to fail on a GPU.
  auto only_small = start_sim({"huge=4GB"}, {"--vram", "2GB"});
  Server gw2({"serve", "-c", fleet_config({{&only_small, "2GB"}})});
  ASSERT_TRUE(wait_ready(gw2));
  EXPECT_EQ(http_request(gw2.address, "POST", "/api/generate", generate_body("huge", 1)).status, 503);
  EXPECT_EQ(stat(only_small, "requests"), 0);
}

TEST(LifecyclePlacement, QueuePressureAddsAReplicaAndIdleReplicasAreUnloaded) {
  auto a = start_sim({"m=1GB"});
  auto b = start_sim({"m=1GB"});
  auto c = start_sim({"m=1GB"});
  const std::vector<const Server*> fleet{&a, &b, &c};
  Server gw({"serve", "-c", fleet_config({{&a, "24GB"}, {&b, "24GB"}, {&c, "24GB"}},
                                         "models:\n  - match: m\n    pool: gpu\n    keep_alive: 1s\n"
                                         "    min_replicas: 1\n    max_replicas: 2\n"
                                         "placement:\n  replicate_queue_depth: 3\n")});
  ASSERT_TRUE(wait_ready(gw));
  // num_parallel 1 and 40 tokens each: a burst of 16 queues far past the threshold of 3.
  EXPECT_EQ(concurrent_generate(gw, "m", 16, 40), 16);
  EXPECT_EQ(fleet_stat(fleet, "loads"), 2);  // one replica more, and no more than max_replicas
  EXPECT_EQ(replicas_of(fleet, "m:latest"), 2);
  // Idle past keep_alive: unloaded down to min_replicas, by the gateway (the sims keep models 5 minutes).
  ASSERT_TRUE(poll_until([&] { return replicas_of(fleet, "m:latest") == 1; }));
  EXPECT_EQ(fleet_stat(fleet, "unloads"), 1);
  EXPECT_EQ(fleet_stat(fleet, "evictions"), 0);
}

TEST(LifecyclePlacement, BusyWarmSlotsLoadAReplicaBeforeAnyQueueBuilds) {
  auto a = start_sim({"m=1GB"});
  auto b = start_sim({"m=1GB"});
  const std::vector<const Server*> fleet{&a, &b};
  // Two clients keep the two slots of one replica busy; nobody ever waits in the gateway's queue, so only
  // the busy-slots predictor (not the queue-depth rule, set out of reach) can add the second replica.
  Server gw({"serve", "-c", fleet_config({{&a, "24GB", 2}, {&b, "24GB", 2}},
                                         "models:\n  - match: m\n    pool: gpu\n"
                                         "placement:\n  replicate_queue_depth: 1000\n")});
  ASSERT_TRUE(wait_ready(gw));
  LoopingClients clients(gw, "m", 2, 40);
  EXPECT_TRUE(poll_until([&] { return replicas_of(fleet, "m:latest") == 2; }));
  EXPECT_EQ(clients.join(), 0);
  EXPECT_EQ(fleet_stat(fleet, "loads"), 2);
}

// The sum of the values of the /metrics lines of `gw` that start with `prefix`.
double metric_sum(const Server& gw, const std::string& prefix) {
  std::istringstream text(http_request(gw.address, "GET", "/metrics").body);
  double sum = 0;
  for (std::string line; std::getline(text, line);) {
    if (line.starts_with(prefix)) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

TEST(LifecyclePlacement, PrewarmedModelIsLoadedBeforeReadiness) {
  auto a = slow_sim({"warm=2GB", "other=1GB"}, "2");
  auto b = slow_sim({"warm=2GB", "other=1GB"}, "2");
  const std::vector<const Server*> fleet{&a, &b};
  Server gw({"serve", "-c", fleet_config({{&a, "24GB"}, {&b, "24GB"}},
                                         "models:\n  - match: warm\n    pool: gpu\n    prewarm: true\n")});
  ASSERT_TRUE(wait_ready(gw));
  // Ready implies loaded: the check runs after /readyz said 200, whatever the timing of the load.
  EXPECT_EQ(replicas_of(fleet, "warm:latest"), 1);
  EXPECT_EQ(fleet_stat(fleet, "loads"), 1);
  // The load Corral started itself is timed in ollama_model_load_duration_seconds, like a request's.
  const std::string load_count = R"(ollama_model_load_duration_seconds_count{model="warm:latest",)";
  ASSERT_TRUE(poll_until([&] { return metric_sum(gw, load_count) == 1; }));
  ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("warm", 1)).status, 200);
  EXPECT_EQ(fleet_stat(fleet, "loads"), 1);
  EXPECT_EQ(metric_sum(gw, load_count), 1);  // a warm request loads nothing
}

TEST(LifecyclePlacement, APassedOverRequestGetsACardKeptBusyByAnotherModel) {
  // Room for one model; `x` runs on both slots without a pause (three clients, two slots: whenever one
  // finishes, the queued one takes its slot), so `x` is never idle for `y` to evict. Past max_pass_over,
  // `y`'s request claims the card: no new `x` request goes there, the card drains, `y` loads. Without the
  // claim `y` would wait until the queue timeout (503).
  auto a = slow_sim({"x=1GB", "y=1GB"}, "10", {"--vram", "1500MB", "--num-parallel", "2"});
  Server gw({"serve", "-c", fleet_config({{&a, "1500MB", 2}},
                                         "placement:\n  max_pass_over: 300ms\n  min_residency: 0s\nqueue:\n  timeout: 10s\n")});
  ASSERT_TRUE(wait_ready(gw));
  LoopingClients clients(gw, "x", 3, 20);
  ASSERT_TRUE(poll_until([&] { return stat(a, "requests") >= 4; }));  // x is loaded and kept busy
  EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("y", 1)).status, 200);
  EXPECT_EQ(clients.join(), 0);  // x's own waiters were passed over in turn, and bounded too
  EXPECT_GE(stat(a, "loads"), 2);
  EXPECT_GE(stat(a, "evictions"), 1);
}

}  // namespace
}  // namespace corral::testing
