#include "admission/lease.hpp"

#include <gtest/gtest.h>

#include "admission/drain_rate.hpp"
#include "admission/pick_and_reserve.hpp"
#include "admission/pool_queue.hpp"
#include "lb/least_connections.hpp"
#include "lb/round_robin.hpp"

namespace corral::admission {
namespace {

TEST(Slots, TakeUpToTheLimit) {
  Slots s;
  s.limit = 2;
  EXPECT_TRUE(s.try_take());
  EXPECT_TRUE(s.try_take());
  EXPECT_FALSE(s.try_take());
  EXPECT_FALSE(s.has_free());
  s.give_back();
  EXPECT_TRUE(s.has_free());
  EXPECT_TRUE(s.try_take());
  Slots unlimited;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.try_take());
  EXPECT_EQ(unlimited.in_flight, 1000U);
}

TEST(Lease, MoveAndReleaseReturnTheSlotOnce) {
  auto queue = std::make_shared<PoolQueue>(4, std::chrono::seconds(1));
  auto slots = std::make_shared<Slots>();
  slots->limit = 1;
  Lease a = queue->try_acquire(7, slots);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.backend(), 7U);
  EXPECT_FALSE(queue->try_acquire(7, slots));  // full
  Lease b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_TRUE(b);
  EXPECT_EQ(slots->in_flight, 1U);
  b.release();
  b.release();
  EXPECT_EQ(slots->in_flight, 0U);
  {
    Lease c = queue->try_acquire(1, slots);
    EXPECT_EQ(slots->in_flight, 1U);
  }
  EXPECT_EQ(slots->in_flight, 0U);
  const Lease none = Lease::none_eligible();
  EXPECT_FALSE(none);
  EXPECT_TRUE(none.no_eligible_backend());
}

TEST(PickAndReserve, LostRacesFallThroughToTheNextBest) {
  auto queue = std::make_shared<PoolQueue>(4, std::chrono::seconds(1));
  std::vector<std::shared_ptr<Slots>> slots;
  for (int i = 0; i < 3; ++i) {
    slots.push_back(std::make_shared<Slots>());
    slots.back()->limit = 1;
  }
  lb::LeastConnectionsPolicy policy;
  // The candidates' counts are stale: backend 0 looks idle but another worker just filled it.
  ASSERT_TRUE(slots[0]->try_take());
  std::vector<lb::Candidate> candidates{{0, 1, 0}, {1, 1, 3}, {2, 1, 1}};
  Lease lease = pick_and_reserve(*queue, policy, candidates, slots, {});
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease.backend(), 2U);  // next best after the lost race on 0
  EXPECT_EQ(candidates.size(), 2U);  // 0 was dropped
  std::vector<lb::Candidate> all_full{{0}, {2}};
  EXPECT_FALSE(pick_and_reserve(*queue, policy, all_full, slots, {}));
  EXPECT_TRUE(all_full.empty());
  std::vector<lb::Candidate> empty;
  const Lease none = pick_and_reserve(*queue, policy, empty, slots, {});
  EXPECT_FALSE(none);
  EXPECT_FALSE(none.no_eligible_backend());
}

TEST(DrainRate, ConvergesDecaysAndGivesRetryAfter) {
  using Clock = DrainRate::Clock;
  const Clock::time_point t0{};
  DrainRate rate;
  EXPECT_EQ(rate.per_second(t0), 0.0);
  EXPECT_EQ(rate.retry_after_seconds(t0, 10, 30, 300), 30U);  // nothing measured
  // 2 grants per second for 2 minutes.
  Clock::time_point t = t0;
  for (int i = 0; i < 240; ++i) {
    t += std::chrono::milliseconds(500);
    rate.record(t);
  }
  EXPECT_NEAR(rate.per_second(t), 2.0, 0.15);
  EXPECT_EQ(rate.retry_after_seconds(t, 9, 30, 300), 5U);    // (9 + 1) / 2
  EXPECT_EQ(rate.retry_after_seconds(t, 0, 30, 300), 1U);    // never below 1
  EXPECT_EQ(rate.retry_after_seconds(t, 10'000, 30, 300), 300U);  // capped
  // A stalled queue: the rate decays, Retry-After grows.
  EXPECT_LT(rate.per_second(t + std::chrono::seconds(30)), 0.2);
  EXPECT_GT(rate.retry_after_seconds(t + std::chrono::seconds(30), 9, 30, 300), 50U);
}

TEST(AdmitError, Names) {
  EXPECT_EQ(to_string(AdmitError::kQueueFull), "queue_full");
  EXPECT_EQ(to_string(AdmitError::kQueueTimeout), "queue_timeout");
  EXPECT_EQ(to_string(AdmitError::kCancelled), "cancelled");
  EXPECT_EQ(to_string(AdmitError::kNoBackend), "no_backend");
}

}  // namespace
}  // namespace corral::admission
