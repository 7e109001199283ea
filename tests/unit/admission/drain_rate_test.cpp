// DrainRate's Retry-After must be honest on a cold gateway (a young estimator used to read one grant as
// 0.1/s and quote 21 s for a queue that drained in one) and still follow a long steady rate.
#include <gtest/gtest.h>

#include "admission/drain_rate.hpp"

namespace corral::admission {
namespace {

using namespace std::chrono_literals;
using Clock = DrainRate::Clock;

TEST(DrainRate, NothingMeasuredGivesTheFallback) {
  const DrainRate rate;
  EXPECT_EQ(rate.per_second(Clock::time_point{} + 5s), 0.0);
  EXPECT_EQ(rate.retry_after_seconds(Clock::time_point{} + 5s, 3, 7, 60), 7U);
}

TEST(DrainRate, AYoungEstimatorIsNotBiasedTowardsZero) {
  DrainRate rate;
  const auto t0 = Clock::time_point{} + 100s;
  // Ten grants in one second on a cold gateway: about 10/s, so one waiter should retry within a second or two.
  for (int i = 0; i < 10; ++i) rate.record(t0 + i * 100ms);
  const auto now = t0 + 1s;
  EXPECT_GT(rate.per_second(now), 5.0);
  EXPECT_LT(rate.per_second(now), 15.0);
  EXPECT_LE(rate.retry_after_seconds(now, 1, 30, 60), 2U);
}

TEST(DrainRate, OneGrantAnInstantAgoDoesNotReadAsAHugeRate) {
  DrainRate rate;
  const auto t0 = Clock::time_point{} + 100s;
  rate.record(t0);
  const double r = rate.per_second(t0 + 1ms);
  EXPECT_GT(r, 0.5);
  EXPECT_LT(r, 2.0);  // "one grant in about a second", not one per millisecond
  EXPECT_GE(rate.retry_after_seconds(t0 + 1ms, 4, 30, 60), 3U);
}

TEST(DrainRate, FollowsALongSteadyRateAndDecaysWhenStuck) {
  DrainRate rate;
  const auto t0 = Clock::time_point{} + 100s;
  for (int i = 0; i < 400; ++i) rate.record(t0 + i * 500ms);  // 2/s for 200 s
  const auto end = t0 + 200s;
  EXPECT_NEAR(rate.per_second(end), 2.0, 0.2);
  const auto retry = rate.retry_after_seconds(end, 9, 30, 60);  // 10 ahead incl. itself at ~2/s
  EXPECT_GE(retry, 5U);
  EXPECT_LE(retry, 6U);
  EXPECT_GT(rate.retry_after_seconds(end + 30s, 9, 30, 60), retry);  // nothing drained since: wait longer
}

}  // namespace
}  // namespace corral::admission
