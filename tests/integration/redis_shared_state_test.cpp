// SharedStore against a real redis-server on an ephemeral loopback port: two stores stand for two gateway
// replicas. Proves one shared limit, fail open and fail closed while Redis is gone or frozen, and sharing
// resuming after a restart (with the script cache empty, so the EVAL fallback runs). Assertions are on
// counts and states; deadlines only stop a hung test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "integration/redis_server.hpp"
#include "shared_state/redis_connection.hpp"
#include "shared_state/shared_store.hpp"
#include "support/poll.hpp"

namespace corral::shared_state {
namespace {

using namespace std::chrono_literals;
using testing::poll_until;

template <class T>
T run(net::io_context& ctx, net::awaitable<T> a) {
  std::optional<T> out;
  std::exception_ptr error;
  net::co_spawn(ctx, std::move(a), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) out = std::move(v);
  });
  ctx.restart();
  ctx.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

class RedisSharedState : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redis_server_installed()) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_TRUE(redis_.start()) << "redis-server did not start";
  }

  std::unique_ptr<SharedStore> make_store(config::FailMode mode = config::FailMode::kOpen,
                                          std::chrono::milliseconds timeout = 5000ms) {
    config::RedisConfig c;
    c.url = redis_.url();
    c.timeout = timeout;  // generous: a shared answer must never be mistaken for a slow one here
    c.fail_mode = mode;
    c.reconnect_min = 20ms;
    c.reconnect_max = 200ms;
    c.command_timeout = 2000ms;
    auto store = std::make_unique<SharedStore>(c, std::make_shared<ratelimit::LocalRateLimiter>());
    store->start();
    return store;
  }

  ratelimit::RateDecision apply(SharedStore& store, const std::vector<ratelimit::BucketOp>& ops) {
    return run(ctx_, store.apply(ops));
  }

  // Counts admitted requests for `n` alternate calls on `a` and `b`, and how many were degraded.
  std::pair<int, int> alternate(SharedStore& a, SharedStore& b, const std::vector<ratelimit::BucketOp>& ops, int n) {
    int allowed = 0;
    int degraded = 0;
    for (int i = 0; i < n; ++i) {
      const auto d = apply(i % 2 == 0 ? a : b, ops);
      allowed += d.allowed ? 1 : 0;
      degraded += d.degraded ? 1 : 0;
    }
    return {allowed, degraded};
  }

  RedisServer redis_;
  net::io_context ctx_;
};

const ratelimit::BucketLimit kTenPerHour{10, 10.0 / 3600};

TEST_F(RedisSharedState, TwoReplicasShareOneLimit) {
  auto a = make_store();
  auto b = make_store();
  ASSERT_TRUE(poll_until([&] { return a->connected() && b->connected(); }));
  const std::vector<ratelimit::BucketOp> ops{{"ip:198.51.100.7:req", kTenPerHour, 1}};
  const auto [allowed, degraded] = alternate(*a, *b, ops, 30);
  EXPECT_EQ(allowed, 10);  // not 20: one bucket for both replicas
  EXPECT_EQ(degraded, 0);
  const auto refused = apply(*b, ops);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GE(refused.retry_after, 300s);  // one request per 360 s
  EXPECT_EQ(a->stats().shared_decisions + b->stats().shared_decisions, 31u);
  EXPECT_EQ(a->stats().degraded_decisions, 0u);
}

TEST_F(RedisSharedState, RefusalTakesNothingAndTokenDebtIsShared) {
  auto a = make_store();
  auto b = make_store();
  ASSERT_TRUE(poll_until([&] { return a->connected() && b->connected(); }));
  const ratelimit::BucketLimit tokens = ratelimit::tokens_per_minute(600);
  const std::vector<ratelimit::BucketOp> check{{"key:team:req", kTenPerHour, 1}, {"key:team:tok", tokens, 0}};
  EXPECT_TRUE(apply(*a, check).allowed);
  a->charge({{"key:team:tok", tokens, 1000, ratelimit::BucketOp::Kind::kCharge}});
  // The charge is fire-and-forget: B sees the debt once A's Redis thread has run it.
  // Until it has, B may still admit: those admissions take from the request bucket too.
  ratelimit::RateDecision refused;
  int admitted_while_waiting = 0;
  ASSERT_TRUE(poll_until([&] {
    refused = apply(*b, check);
    admitted_while_waiting += refused.allowed ? 1 : 0;
    return !refused.allowed;
  }));
  EXPECT_EQ(refused.refused_by, 1u);
  EXPECT_GE(refused.retry_after, 20s);   // about 400 tokens of debt at 10 per second
  EXPECT_LE(refused.retry_after, 41s);
  // Refusals took nothing from the request bucket: 10 - 1 - (admitted while waiting) remain.
  const std::vector<ratelimit::BucketOp> req_only{{"key:team:req", kTenPerHour, 1}};
  const auto [allowed, degraded] = alternate(*a, *b, req_only, 20);
  EXPECT_EQ(allowed, 9 - admitted_while_waiting);
  EXPECT_EQ(degraded, 0);
}

TEST_F(RedisSharedState, KilledThenRestartedFailsOpenThenSharesAgain) {
  auto a = make_store();
  auto b = make_store();
  ASSERT_TRUE(poll_until([&] { return a->connected() && b->connected(); }));
  const std::vector<ratelimit::BucketOp> before{{"ip:10.1.1.1:req", kTenPerHour, 1}};
  EXPECT_EQ(alternate(*a, *b, before, 4).first, 4);

  redis_.kill();
  // Decisions keep flowing while the stores notice; once they have, every answer is local and degraded.
  int calls = 0;
  ASSERT_TRUE(poll_until([&] {
    ++calls;
    (void)apply(*a, before);
    (void)apply(*b, before);
    return !a->connected() && !b->connected();
  }));
  const std::vector<ratelimit::BucketOp> during{{"ip:10.2.2.2:req", kTenPerHour, 1}};
  const auto [allowed, degraded] = alternate(*a, *b, during, 30);
  EXPECT_EQ(degraded, 30);
  EXPECT_EQ(allowed, 20);  // fail open: each replica enforces the limit on its own (10 + 10)
  EXPECT_GE(a->stats().disconnects, 1u);
  EXPECT_GE(a->stats().degraded_decisions, 15u);

  ASSERT_TRUE(redis_.start(redis_.port())) << "redis-server did not restart on port " << redis_.port();
  ASSERT_TRUE(poll_until([&] { return a->connected() && b->connected(); }));
  const std::vector<ratelimit::BucketOp> after{{"ip:10.3.3.3:req", kTenPerHour, 1}};
  const auto [allowed_after, degraded_after] = alternate(*a, *b, after, 30);
  EXPECT_EQ(allowed_after, 10);  // shared again (and the empty script cache was refilled by EVAL)
  EXPECT_EQ(degraded_after, 0);
  EXPECT_GE(a->stats().connects, 2u);
}

TEST_F(RedisSharedState, FailClosedRefusesWhileRedisIsGone) {
  auto a = make_store(config::FailMode::kClosed);
  ASSERT_TRUE(poll_until([&] { return a->connected(); }));
  const std::vector<ratelimit::BucketOp> ops{{"ip:10.4.4.4:req", kTenPerHour, 1}};
  EXPECT_TRUE(apply(*a, ops).allowed);
  redis_.kill();
  ASSERT_TRUE(poll_until([&] {
    (void)apply(*a, ops);
    return !a->connected();
  }));
  const auto d = apply(*a, ops);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.degraded);
  EXPECT_EQ(d.retry_after, 1s);
}

TEST_F(RedisSharedState, FrozenRedisNeverStallsTheCaller) {
  // A short per-decision budget and a long command timeout: a frozen (SIGSTOP) Redis keeps the
  // connection open, so only the deadline can answer.
  auto a = make_store(config::FailMode::kOpen, 50ms);
  ASSERT_TRUE(poll_until([&] { return a->connected(); }));
  redis_.signal(SIGSTOP);
  const std::vector<ratelimit::BucketOp> ops{{"ip:10.5.5.5:req", kTenPerHour, 1}};
  int degraded = 0;
  for (int i = 0; i < 5; ++i) degraded += apply(*a, ops).degraded ? 1 : 0;
  redis_.signal(SIGCONT);
  EXPECT_EQ(degraded, 5);
  EXPECT_GE(a->stats().timeouts + a->stats().disconnects, 1u);
  EXPECT_TRUE(poll_until([&] { return a->connected() && !apply(*a, ops).degraded; }));
}

TEST_F(RedisSharedState, AffinityIsShared) {
  auto a = make_store();
  auto b = make_store();
  ASSERT_TRUE(poll_until([&] { return a->connected() && b->connected(); }));
  EXPECT_EQ(run(ctx_, b->get_affinity("session-1")), std::nullopt);
  a->set_affinity("session-1", "gpu-3", 60s);
  std::optional<std::string> seen;
  ASSERT_TRUE(poll_until([&] {
    seen = run(ctx_, b->get_affinity("session-1"));
    return seen.has_value();
  }));
  EXPECT_EQ(*seen, "gpu-3");
  redis_.kill();
  ASSERT_TRUE(poll_until([&] {
    (void)run(ctx_, b->get_affinity("session-1"));
    return !b->connected();
  }));
  EXPECT_EQ(run(ctx_, b->get_affinity("session-1")), std::nullopt);  // caller falls back to its local table
}

TEST_F(RedisSharedState, NoLimitsNeverAsksRedis) {
  auto a = make_store();
  ASSERT_TRUE(poll_until([&] { return a->connected(); }));
  EXPECT_TRUE(apply(*a, {}).allowed);
  EXPECT_TRUE(apply(*a, {{"off", {0, 0}, 1}}).allowed);
  EXPECT_EQ(a->stats().shared_decisions, 0u);
  ratelimit::LocalRateLimiter local;
  EXPECT_TRUE(run(ctx_, SharedStore::decide(nullptr, local, {{"x", kTenPerHour, 1}})).allowed);
  EXPECT_EQ(local.size(), 1u);
}

}  // namespace
}  // namespace corral::shared_state
