// Each policy's distribution over three workers, counted by the simulators: round_robin spreads evenly
// (weighted), least_connections and power_of_two spread sequential traffic, consistent_hash keeps a key
// on one worker, model_aware keeps a model on the worker that has it warm.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

struct PolicyFleet {
  Server a = start_sim({"llama3:8b=1GB", "qwen2:0.5b=400MB"});
  Server b = start_sim({"llama3:8b=1GB", "qwen2:0.5b=400MB"});
  Server c = start_sim({"llama3:8b=1GB", "qwen2:0.5b=400MB"});
  Server gateway(const std::string& pool_extra, const std::string& weights = "") {
    const std::string w = weights.empty() ? "" : weights;
    const auto config = write_temp("listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n" + pool_extra +
                                   "    backends:\n      - url: " + a.url() + w + "\n      - url: " + b.url() +
                                   "\n      - url: " + c.url() + "\n");
    return Server({"serve", "-c", config});
  }
  std::vector<std::int64_t> counts() { return {stat(a, "requests"), stat(b, "requests"), stat(c, "requests")}; }
};

void send(const Server& gw, int n, const std::string& model = "llama3:8b",
          const Headers& headers = {}) {
  HttpConnection c(gw.address);
  for (int i = 0; i < n; ++i) ASSERT_EQ(c.request("POST", "/api/generate", generate_body(model, 1), headers).status, 200);
}

TEST(GatewayPolicies, RoundRobinIsEvenAndWeighted) {
  PolicyFleet f;
  auto gw = f.gateway("    policy: round_robin\n", "\n        weight: 2");
  send(gw, 40);
  EXPECT_EQ(f.counts(), (std::vector<std::int64_t>{20, 10, 10}));
}

TEST(GatewayPolicies, LeastConnectionsAndPowerOfTwoUseEveryWorker) {
  for (const char* policy : {"least_connections", "power_of_two"}) {
    PolicyFleet f;
    auto gw = f.gateway(std::string("    policy: ") + policy + "\n");
    send(gw, 30);
    const auto n = f.counts();
    EXPECT_EQ(n[0] + n[1] + n[2], 30) << policy;
    for (auto x : n) EXPECT_GT(x, 0) << policy;
  }
}

TEST(GatewayPolicies, ConsistentHashKeepsAKeyOnOneWorker) {
  PolicyFleet f;
  auto gw = f.gateway("    policy: consistent_hash\n    hash_on: header:X-User\n");
  for (const char* user : {"alice", "bob", "carol", "dave"}) {
    const auto before = f.counts();
    send(gw, 5, "llama3:8b", {{"X-User", user}});
    const auto after = f.counts();
    int moved = 0;
    for (int i = 0; i < 3; ++i) moved += after[i] != before[i] ? 1 : 0;
    EXPECT_EQ(moved, 1) << user;
  }
}

TEST(GatewayPolicies, ModelAwareKeepsAModelWarmOnOneWorker) {
  PolicyFleet f;
  auto gw = f.gateway("    policy: model_aware\n");
  send(gw, 10, "llama3:8b");
  const auto n = f.counts();
  EXPECT_EQ(std::max({n[0], n[1], n[2]}), 10);
  // Exactly one worker loaded the model.
  int loaded = 0;
  for (Server* s : {&f.a, &f.b, &f.c}) loaded += stat(*s, "loads") > 0 ? 1 : 0;
  EXPECT_EQ(loaded, 1);
}

}  // namespace
}  // namespace corral::testing
