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

}  // namespace
}  // namespace corral::admission
