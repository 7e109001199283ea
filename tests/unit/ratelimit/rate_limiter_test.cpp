#include "auth/bucket_ops.hpp"
#include "auth/key_store.hpp"
#include "ratelimit/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace corral::ratelimit {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::hours(1000)};

BucketOp take(std::string key, BucketLimit limit, double cost = 1) { return {std::move(key), limit, cost}; }

TEST(TokenBucket, Arithmetic) {
  const BucketLimit l = request_limit({100, 10s});  // 10 per second
  EXPECT_DOUBLE_EQ(l.capacity, 100);
  EXPECT_DOUBLE_EQ(l.per_second, 10);
  BucketState s{0, t0};
  refill(s, l, t0 + 500ms);
  EXPECT_DOUBLE_EQ(s.level, 5);
  refill(s, l, t0 + 1h);
  EXPECT_DOUBLE_EQ(s.level, 100);  // capped
  refill(s, request_limit({10, 10s}), t0 + 1h);
  EXPECT_DOUBLE_EQ(s.level, 10);   // a lowered limit clamps
  EXPECT_TRUE(admits(1, 1));
  EXPECT_FALSE(admits(0.5, 1));
  EXPECT_FALSE(admits(0, 0));
  EXPECT_FALSE(admits(-3, 0));
  EXPECT_TRUE(admits(0.1, 0));
  EXPECT_EQ(retry_after(0, 1, l), 1s);           // 0.1 s rounds up to a whole second
  EXPECT_EQ(retry_after(-95, 1, l), 10s);        // 96 tokens at 10/s = 9.6 s
  EXPECT_EQ(retry_after(-600, 0, tokens_per_minute(60)), 600s);
  EXPECT_FALSE(request_limit({0, 10s}).enabled());
  EXPECT_FALSE(tokens_per_minute(0).enabled());
}

TEST(LocalRateLimiter, HundredPerTenSecondsPerIp) {
  LocalRateLimiter limiter;
  config::RateLimitConfig config;
  config.per_ip = {100, 10s};
  const auto ops = auth::request_ops(nullptr, "10.0.0.1", config);
  ASSERT_EQ(ops.size(), 1u);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(limiter.apply(ops, t0).allowed) << i;
  const auto refused = limiter.apply(ops, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.refused_by, 0u);
  EXPECT_EQ(refused.retry_after, 1s);
  // Another address has its own bucket.
  EXPECT_TRUE(limiter.apply(auth::request_ops(nullptr, "10.0.0.2", config), t0).allowed);
  // 10 per second refill: after 1 s, exactly 10 more.
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += limiter.apply(ops, t0 + 1s).allowed ? 1 : 0;
  EXPECT_EQ(passed, 10);
}

TEST(LocalRateLimiter, RefusalTakesNothingFromOtherBuckets) {
  LocalRateLimiter limiter;
  const BucketLimit wide{10, 1};
  const BucketLimit narrow{1, 0.001};
  std::vector<BucketOp> ops{take("a", wide), take("b", narrow)};
  EXPECT_TRUE(limiter.apply(ops, t0).allowed);
  const auto d = limiter.apply(ops, t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.refused_by, 1u);
  EXPECT_EQ(d.retry_after, 1000s);
  // "a" lost only the one token of the first, admitted call: 9 left.
  const std::vector<BucketOp> only_a{take("a", wide)};
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += limiter.apply(only_a, t0).allowed ? 1 : 0;
  EXPECT_EQ(passed, 9);
}

TEST(LocalRateLimiter, TokenDebtRefusesUntilRefilled) {
  LocalRateLimiter limiter;
  config::ApiKeyConfig kc;
  kc.name = "k";
  kc.sha256 = std::string(64, 'a');
  kc.limits.tokens_per_minute = 600;  // 10 per second
  config::AuthConfig ac;
  ac.keys.push_back(kc);
  const auth::KeyStore store(ac);
  const auth::ApiKey* key = &store.keys()[0];
  const auto ops = auth::request_ops(key, "1.2.3.4", config::RateLimitConfig{});
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(limiter.apply(ops, t0).allowed);
  // The response generated 1000 tokens: 400 in debt.
  EXPECT_TRUE(limiter.apply(auth::charge_ops(key, 1000), t0).allowed);
  const auto d = limiter.apply(ops, t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 40s);
  EXPECT_FALSE(limiter.apply(ops, t0 + 39s).allowed);
  EXPECT_FALSE(limiter.apply(ops, t0 + 40s).allowed);  // exactly zero is still not "above zero"
  EXPECT_TRUE(limiter.apply(ops, t0 + 41s).allowed);
  EXPECT_TRUE(auth::charge_ops(key, 0).empty());
  EXPECT_TRUE(auth::charge_ops(nullptr, 10).empty());
}

TEST(LocalRateLimiter, LimitsChangeButLevelsPersist) {
  LocalRateLimiter limiter;
  std::vector<BucketOp> ops{take("k", {5, 0.001})};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.apply(ops, t0).allowed);
  EXPECT_FALSE(limiter.apply(ops, t0).allowed);
  // A reload raises the limit: the bucket is still empty (not reset), it refills at the new rate.
  ops[0].limit = {50, 0.001};
  EXPECT_FALSE(limiter.apply(ops, t0).allowed);
  ops[0].limit = {50, 1};
  EXPECT_TRUE(limiter.apply(ops, t0 + 1s).allowed);
  EXPECT_FALSE(limiter.apply(ops, t0 + 1s).allowed);
}

TEST(LocalRateLimiter, DisabledOpsAreIgnored) {
  LocalRateLimiter limiter;
  std::vector<BucketOp> ops{take("off", {0, 0})};
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.apply(ops, t0).allowed);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(LocalRateLimiter, SweepDropsOnlyIdleBuckets) {
  LocalRateLimiter limiter;
  const BucketLimit l{2, 1};
  EXPECT_TRUE(limiter.apply(std::vector{take("busy", l, 2)}, t0).allowed);
  EXPECT_TRUE(limiter.apply(std::vector{take("quiet", l, 1)}, t0).allowed);
  EXPECT_EQ(limiter.sweep(t0), 0u);
  EXPECT_EQ(limiter.sweep(t0 + 1s), 1u);  // "quiet" is full again, "busy" has 1 of 2
  EXPECT_EQ(limiter.size(), 1u);
  EXPECT_EQ(limiter.sweep(t0 + 2s), 1u);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(LocalRateLimiter, MemoryIsBounded) {
  LocalRateLimiter limiter(LocalRateLimiter::kShards * 8);
  const BucketLimit slow{1, 0.0001};
  for (int i = 0; i < 5000; ++i) {
    const auto d = limiter.apply(std::vector{take("ip" + std::to_string(i), slow)}, t0 + std::chrono::seconds(i));
    ASSERT_TRUE(d.allowed);
  }
  EXPECT_LE(limiter.size(), LocalRateLimiter::kShards * 8);
  EXPECT_GT(limiter.evicted_active(), 0u);
  // The most recent bucket survived eviction: it is still empty.
  EXPECT_FALSE(limiter.apply(std::vector{take("ip4999", slow)}, t0 + 5000s).allowed);
}

TEST(LocalRateLimiter, ConcurrentCallersNeverOverspend) {
  LocalRateLimiter limiter;
  const std::vector<BucketOp> ops{take("shared", {1000, 0.000001}), take("other", {1e9, 1})};
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) passed += limiter.apply(ops, t0).allowed ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(passed.load(), 1000);
}

}  // namespace
}  // namespace corral::ratelimit
