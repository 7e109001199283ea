// Two real gateways sharing state through a real redis-server (ephemeral port): one rate limit for both
// replicas; Redis killed mid-run leaves requests flowing (fail open, each replica on its own buckets), and
// sharing resumes once Redis is back. Session affinity placed by one replica is followed by the other.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "integration/redis_server.hpp"
#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

using namespace std::chrono_literals;

// Clients connected to `redis` other than the one asking.
int other_clients(const shared_state::RedisServer& redis) {
  config::RedisEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = redis.port();
  shared_state::RedisConnection c;
  shared_state::RedisReply reply;
  std::string error;
  if (!c.connect(ep, 500ms, 500ms, error) || !c.command({"INFO", "clients"}, reply, error)) return -1;
  const auto at = reply.str.find("connected_clients:");
  return at == std::string::npos ? -1 : std::stoi(reply.str.substr(at + 18)) - 1;
}

// A replica with its admin listener (its /metrics is not rate-limited like the public listener's).
struct Replica {
  explicit Replica(const std::string& config) : gw({"serve", "-c", write_temp(config)}) {}
  Server gw;
  std::string admin = gw.admin_address();
};

// The value of the series `series` (name with its labels, as exposed) in `r`'s /metrics; -1 when absent.
double metric(const Replica& r, const std::string& series) {
  const std::string text = http_request(r.admin, "GET", "/metrics").body;
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

TEST(RedisGateway, TwoReplicasEnforceOneLimitAndSurviveRedisRestart) {
  if (!shared_state::redis_server_installed()) GTEST_SKIP() << "redis-server is not installed";
  shared_state::RedisServer redis;
  ASSERT_TRUE(redis.start());
  auto sim = start_sim({"llama3:8b=1GB"});
  // Every request comes from 127.0.0.1: one per-address bucket, which Redis makes common.
  const std::string config = "listen: 127.0.0.1:0\nthreads: 1\nadmin: {listen: 127.0.0.2:0}\n"
                             "pools:\n  - name: p\n    backends:\n      - url: " +
                             sim.url() + "\nrate_limits:\n  per_ip: {requests: 3, interval: 1h}\nredis:\n  url: " +
                             redis.url() + "\n  timeout: 2s\n  reconnect_min: 20ms\n  reconnect_max: 100ms\n";
  Replica ra(config);
  Replica rb(config);
  const Server& a = ra.gw;
  const Server& b = rb.gw;
  ASSERT_TRUE(wait_ready(a));
  ASSERT_TRUE(wait_ready(b));
  ASSERT_TRUE(poll_until([&] { return other_clients(redis) == 2; }));  // both replicas connected
  const std::string body = generate_body("llama3:8b", 1);
  auto status = [&](const Server& gw) { return http_request(gw.address, "POST", "/api/generate", body).status; };
  auto admitted_of = [&](int n) {
    int admitted = 0;
    for (int i = 0; i < n; ++i) admitted += status(i % 2 == 0 ? a : b) == 200 ? 1 : 0;
    return admitted;
  };
  EXPECT_EQ(admitted_of(8), 3);  // not 6: one bucket for both replicas
  EXPECT_EQ(stat(sim, "requests"), 3);
  const std::string limited = R"(ollama_gateway_rate_limited_total{scope="ip",kind="requests"})";
  EXPECT_EQ(metric(ra, limited) + metric(rb, limited), 5);  // the 429s, counted where they were answered
  EXPECT_EQ(metric(ra, R"(ollama_gateway_rate_limited_total{scope="key",kind="tokens"})"), 0);
  EXPECT_EQ(metric(ra, "ollama_gateway_redis_up"), 1);
  EXPECT_EQ(metric(ra, "ollama_gateway_redis_fail_open_total"), 0);

  redis.kill();
  // Fail open: each replica falls back to its own local bucket (untouched so far, so full), without a
  // stall or an error.
  EXPECT_EQ(status(a), 200);
  EXPECT_EQ(status(b), 200);
  EXPECT_EQ(stat(sim, "requests"), 5);
  // Each replica's decision found Redis gone: it says so, and counts the fallback and the failure.
  for (const Replica* gw : {&ra, &rb}) {
    EXPECT_EQ(metric(*gw, "ollama_gateway_redis_up"), 0);
    EXPECT_GE(metric(*gw, "ollama_gateway_redis_fail_open_total"), 1);
    EXPECT_GE(metric(*gw, "ollama_gateway_redis_errors_total"), 1);
  }

  ASSERT_TRUE(redis.start(redis.port()));
  ASSERT_TRUE(poll_until([&] { return other_clients(redis) == 2; }));  // both reconnected by themselves
  ASSERT_TRUE(poll_until([&] { return metric(ra, "ollama_gateway_redis_up") == 1; }));
  // A fresh Redis holds no buckets: the shared limit starts over, again one limit across both.
  EXPECT_EQ(admitted_of(8), 3);
  EXPECT_EQ(stat(sim, "requests"), 8);
}

TEST(RedisGateway, SessionPlacedByOneReplicaIsFollowedByTheOther) {
  if (!shared_state::redis_server_installed()) GTEST_SKIP() << "redis-server is not installed";
  shared_state::RedisServer redis;
  ASSERT_TRUE(redis.start());
  auto s1 = start_sim({"llama3:8b=1GB"});
  auto s2 = start_sim({"llama3:8b=1GB"});
  const std::string config = "listen: 127.0.0.1:0\nthreads: 1\npools:\n  - name: p\n    policy: round_robin\n"
                             "    backends:\n      - url: " + s1.url() + "\n      - url: " + s2.url() +
                             "\naffinity:\n  header: X-Session\nredis:\n  url: " + redis.url() + "\n  timeout: 2s\n";
  Server a({"serve", "-c", write_temp(config)});
  Server b({"serve", "-c", write_temp(config)});
  ASSERT_TRUE(wait_ready(a));
  ASSERT_TRUE(wait_ready(b));
  ASSERT_TRUE(poll_until([&] { return other_clients(redis) == 2; }));
  const std::string body = generate_body("llama3:8b", 1);
  // Which simulator served one request.
  auto served_by = [&](const Server& gw, const Headers& headers) {
    const auto before = stat(s1, "requests");
    EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", body, headers).status, 200);
    return stat(s1, "requests") > before ? 1 : 2;
  };
  // Put B's rotation one step out of phase with A's: on their own, B would send each new session to
  // the other backend.
  (void)served_by(b, {});
  for (int i = 0; i < 6; ++i) {
    const Headers session{{"X-Session", "user-" + std::to_string(i)}};
    const int placed = served_by(a, session);
    EXPECT_EQ(served_by(b, session), placed) << "session " << i;
  }
}

}  // namespace
}  // namespace corral::testing
