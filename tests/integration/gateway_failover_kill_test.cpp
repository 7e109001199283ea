// A worker SIGKILLed while a load of non-streamed requests runs: every request still succeeds, because a
// request that fails before any byte reached its client is retried on another worker.
#include <atomic>
#include <csignal>
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

TEST(GatewayFailover, KilledWorkerLosesNoRequest) {
  auto a = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "40"});
  auto b = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "40"});
  auto c = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "40"});
  auto gw = start_quick({&a, &b, &c});
  constexpr int kClients = 6;
  constexpr int kPerClient = 8;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> started{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < kPerClient; ++j) {
        started.fetch_add(1);
        try {
          const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 8));
          (r.status == 200 ? ok : failed).fetch_add(1);
        } catch (const std::exception&) {
          failed.fetch_add(1);
        }
      }
    });
  }
  // Kill a worker while it has requests in flight (model_aware keeps the model on one worker, so pick
  // whichever is busy).
  Server* victim = nullptr;
  ASSERT_TRUE(poll_until([&] {
    for (Server* s : {&a, &b, &c}) {
      if (started.load() > kClients && stat(*s, "active") > 0) victim = s;
    }
    return victim != nullptr;
  }));
  victim->process->signal(SIGKILL);
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kClients * kPerClient);
}

}  // namespace
}  // namespace corral::testing
