#include "admission/retry_budget.hpp"

#include <gtest/gtest.h>

namespace corral::admission {
namespace {

using namespace std::chrono_literals;
using Clock = RetryBudget::Clock;

config::RetryBudgetConfig budget(double ratio, std::uint32_t min_per_second, std::chrono::seconds window) {
  config::RetryBudgetConfig c;
  c.ratio = ratio;
  c.min_per_second = min_per_second;
  c.window = window;
  return c;
}

TEST(RetryBudget, MinimumPerSecondAlwaysAllowed) {
  RetryBudget b(budget(0.2, 3, 10s));
  const Clock::time_point t{1000s};
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(b.try_retry(t)) << i;  // 3/s over a 10 s window
  EXPECT_FALSE(b.try_retry(t));
  EXPECT_EQ(b.remaining(t), 0U);
}

TEST(RetryBudget, RatioOfRequestsWhenBusy) {
  RetryBudget b(budget(0.2, 0, 10s));
  Clock::time_point t{1000s};
  for (int i = 0; i < 1000; ++i) b.record_request(t);
  int allowed = 0;
  while (b.try_retry(t)) ++allowed;
  EXPECT_EQ(allowed, 200);
  // The window slides: ten seconds later the old requests and retries no longer count.
  t += 10s;
  EXPECT_FALSE(b.try_retry(t));
  for (int i = 0; i < 10; ++i) b.record_request(t);
  EXPECT_EQ(b.remaining(t), 2U);
}

TEST(RetryBudget, OldBucketsAreReused) {
  RetryBudget b(budget(1.0, 0, 2s));
  Clock::time_point t{50s};
  b.record_request(t);
  EXPECT_EQ(b.remaining(t), 1U);
  EXPECT_EQ(b.remaining(t + 1s), 1U);  // still inside the 2 s window
  EXPECT_EQ(b.remaining(t + 2s), 0U);  // bucket of second 50 reused for 52
}

TEST(RetryBudget, ARetryStaysCountedForTheWholeWindow) {
  RetryBudget b(budget(0.5, 0, 3s));
  const Clock::time_point t{100s};
  for (int i = 0; i < 10; ++i) b.record_request(t);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.try_retry(t)) << i;
  EXPECT_FALSE(b.try_retry(t + 1s));
  EXPECT_EQ(b.remaining(t + 2s), 0U);  // still inside the window, requests and retries alike
  for (int i = 0; i < 4; ++i) b.record_request(t + 3s);
  EXPECT_EQ(b.remaining(t + 3s), 2U);  // second 100 left the window: only the 4 new requests count
}

TEST(RetryBudget, AStaleTimeNeverWipesANewerSecond) {
  // Threads read the clock at different moments: one still at second 50 must not reset the bucket that
  // another has moved on to second 51 (a one-second window shares that bucket between the two).
  RetryBudget b(budget(1.0, 0, 1s));
  const Clock::time_point t{51s};
  for (int i = 0; i < 4; ++i) b.record_request(t);
  EXPECT_FALSE(b.try_retry(t - 1s));  // second 50 saw no requests
  EXPECT_EQ(b.remaining(t), 4U);
}

}  // namespace
}  // namespace corral::admission
