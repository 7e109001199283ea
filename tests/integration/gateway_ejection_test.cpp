// Health: a worker whose health checks fail is marked down and gets no traffic; once it passes again it
// comes back. Passive: a worker answering 500s is ejected by the outlier detector and returns after the
// ejection time. A pool with no healthy worker answers 503 at once.
#include <chrono>
#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

std::string config_for(const Server& a, const Server& b, const std::string& extra) {
  return write_temp("listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n    policy: round_robin\n    backends:\n      - url: " +
                    a.url() + "\n      - url: " + b.url() + "\n" + extra);
}

bool all_go_to(const Server& gw, const Server& target, int n) {
  const auto before = stat(target, "requests");
  for (int i = 0; i < n; ++i) {
    if (http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status != 200) return false;
  }
  return stat(target, "requests") - before == n;
}

TEST(GatewayEjection, FailedHealthChecksTakeAWorkerOutAndBack) {
  auto a = start_sim({"llama3:8b=1GB"});
  auto b = start_sim({"llama3:8b=1GB"});
  Server gw({"serve", "-c", config_for(a, b, "health: {path: /api/version, interval: 100ms, timeout: 200ms, fall: 2, rise: 2}\n")});
  ASSERT_EQ(http_request(a.address, "POST", "/sim/fault", R"({"health_delay":"2s"})").status, 200);
  EXPECT_TRUE(poll_until([&] { return all_go_to(gw, b, 6); }));
  ASSERT_EQ(http_request(a.address, "DELETE", "/sim/fault").status, 200);
  EXPECT_TRUE(poll_until([&] {
    const auto before = stat(a, "requests");
    for (int i = 0; i < 4; ++i) http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1));
    return stat(a, "requests") > before;
  }));
}

TEST(GatewayEjection, ServerErrorsEjectAndTheWorkerReturns) {
  auto a = start_sim({"llama3:8b=1GB"});
  auto b = start_sim({"llama3:8b=1GB"});
  Server gw({"serve", "-c", config_for(a, b, "retries: 0\noutlier: {consecutive_failures: 3, base_ejection: 1s, max_ejection: 2s, max_ejection_percent: 50}\n")});
  ASSERT_EQ(http_request(a.address, "POST", "/sim/fault", R"({"error_status":500})").status, 200);
  // Round robin sends every other request to `a` until three 500s in a row eject it.
  int errors = 0;
  for (int i = 0; i < 8; ++i) errors += http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status == 500;
  EXPECT_EQ(errors, 3);
  EXPECT_TRUE(all_go_to(gw, b, 6));
  ASSERT_EQ(http_request(a.address, "DELETE", "/sim/fault").status, 200);
  EXPECT_TRUE(poll_until([&] {
    const auto before = stat(a, "requests");
    http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1));
    http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1));
    return stat(a, "requests") > before;
  }));
}

TEST(GatewayEjection, NoHealthyWorkerAnswers503AtOnce) {
  auto a = start_sim({"llama3:8b=1GB"});
  auto b = start_sim({"llama3:8b=1GB"});
  Server gw({"serve", "-c", config_for(a, b, "health: {path: /api/version, interval: 100ms, timeout: 200ms, fall: 1, rise: 1}\n")});
  ASSERT_TRUE(wait_ready(gw));  // both healthy first: a 503 below is the checks' verdict, not the start
  a.process->signal(SIGKILL);
  b.process->signal(SIGKILL);
  // The health checks (fall: 1) mark both down, which readiness reports. Only then is the request sent:
  // refused connects on every worker would also end in a 503, so that alone proves nothing about health.
  ASSERT_TRUE(poll_until([&] { return http_request(gw.address, "GET", "/readyz").status == 503; }));
  const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1));
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.header("retry-after").empty());
}

}  // namespace
}  // namespace corral::testing
