// The scaling rule with hysteresis and cooldowns, on explicit time points.
#include <gtest/gtest.h>

#include "metrics/scale_advisor.hpp"

namespace corral::metrics {
namespace {

using namespace std::chrono_literals;
using Clock = ScaleAdvisor::Clock;
Clock::time_point at(std::chrono::seconds s) { return Clock::time_point(s); }

TEST(ScaleAdvisor, HighVramOrQueueScalesUpOnceThenCoolsDown) {
  ScaleAdvisor a;
  EXPECT_EQ(a.observe("p", {2, 0.60, 0}, at(0s)).recommended, 2);
  auto r = a.observe("p", {2, 0.90, 0}, at(15s));
  EXPECT_EQ(r.direction, ScaleDirection::up);
  EXPECT_EQ(r.recommended, 3);
  // Still hot 15 s later: the new worker cannot be up yet, so no second step.
  r = a.observe("p", {2, 0.95, 0}, at(30s));
  EXPECT_EQ(r.direction, ScaleDirection::hold);
  EXPECT_EQ(r.recommended, 3);
  // Queue > 10 per worker after the cooldown: another step from what runs (3).
  r = a.observe("p", {3, 0.70, 31}, at(15s + 180s));
  EXPECT_EQ(r.direction, ScaleDirection::up);
  EXPECT_EQ(r.recommended, 4);
}

TEST(ScaleAdvisor, QueueThresholdIsPerWorker) {
  ScaleAdvisor a;
  EXPECT_EQ(a.observe("p", {4, 0.5, 40}, at(0s)).direction, ScaleDirection::hold);  // exactly 10 each
  EXPECT_EQ(a.observe("p", {4, 0.5, 41}, at(1s)).direction, ScaleDirection::up);
}

TEST(ScaleAdvisor, ScalesDownOnlyAfterASustainedCalmPeriod) {
  ScaleAdvisor a;
  a.observe("p", {3, 0.2, 0}, at(0s));
  EXPECT_EQ(a.observe("p", {3, 0.2, 0}, at(599s)).recommended, 3);
  // A single busy sample restarts the calm period (hysteresis band: 0.5..0.85 holds).
  EXPECT_EQ(a.observe("p", {3, 0.6, 0}, at(300s + 300s)).recommended, 3);
  EXPECT_EQ(a.observe("p", {3, 0.2, 0}, at(601s)).direction, ScaleDirection::hold);
  EXPECT_EQ(a.observe("p", {3, 0.2, 0}, at(1200s)).direction, ScaleDirection::hold);
  auto r = a.observe("p", {3, 0.2, 0}, at(1201s));
  EXPECT_EQ(r.direction, ScaleDirection::down);
  EXPECT_EQ(r.recommended, 2);
  // The next step down needs another full calm period.
  EXPECT_EQ(a.observe("p", {2, 0.2, 0}, at(1700s)).recommended, 2);
  EXPECT_EQ(a.observe("p", {2, 0.2, 0}, at(1801s)).recommended, 1);
  // Never below min_workers.
  EXPECT_EQ(a.observe("p", {1, 0.0, 0}, at(5000s)).recommended, 1);
}

TEST(ScaleAdvisor, NoScaleDownSoonAfterScaleUp) {
  ScalePolicy pol;
  pol.down_stable = 60s;
  ScaleAdvisor a(pol);
  a.observe("p", {2, 0.9, 0}, at(0s));  // up to 3
  a.observe("p", {3, 0.1, 0}, at(1s));
  auto r = a.observe("p", {3, 0.1, 0}, at(100s));  // calm long enough, but within down_cooldown
  EXPECT_EQ(r.direction, ScaleDirection::hold);
  EXPECT_EQ(r.recommended, 3);
  EXPECT_EQ(a.observe("p", {3, 0.1, 0}, at(601s)).recommended, 2);
}

TEST(ScaleAdvisor, BoundsAndPoolsAreIndependent) {
  ScalePolicy pol;
  pol.min_workers = 2;
  pol.max_workers = 3;
  ScaleAdvisor a(pol);
  EXPECT_EQ(a.observe("small", {0, 0, 0}, at(0s)).recommended, 2);
  EXPECT_EQ(a.observe("big", {3, 0.99, 100}, at(0s)).recommended, 3);
  EXPECT_EQ(a.observe("big", {3, 0.99, 100}, at(1000s)).reason, "hot, already at max_workers");
  EXPECT_EQ(a.observe("small", {2, 0.1, 0}, at(1000s)).recommended, 2);
}

}  // namespace
}  // namespace corral::metrics
