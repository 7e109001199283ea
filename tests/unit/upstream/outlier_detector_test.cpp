// Envoy style: fed results and a moved clock; time points are explicit, nothing sleeps.
#include "upstream/outlier_detector.hpp"

#include <gtest/gtest.h>

namespace corral::upstream {
namespace {

using namespace std::chrono_literals;

config::OutlierConfig defaults() { return config::OutlierConfig{}; }  // 5 failures, 30 s, 300 s, 50 %

TEST(OutlierDetector, FiveGatewayFailuresEjectAndTheClockBringsItBack) {
  auto budget = std::make_shared<EjectionBudget>(4, 50);
  OutlierDetector d(defaults(), budget);
  OutlierClock::time_point t{};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(d.report(Outcome::kConnectFailure, t), ReportResult::kNone);
  EXPECT_FALSE(d.is_ejected(t));
  EXPECT_EQ(d.report(Outcome::kServerError, t), ReportResult::kEjected);
  EXPECT_TRUE(d.is_ejected(t));
  EXPECT_EQ(budget->ejected(), 1U);
  EXPECT_EQ(d.ejected_until(), t + 30s);
  EXPECT_TRUE(d.is_ejected(t + 29s));
  EXPECT_FALSE(d.is_ejected(t + 30s));
  EXPECT_EQ(budget->ejected(), 0U);  // budget returned on un-ejection
}

TEST(OutlierDetector, SuccessResetsAndNeutralOutcomesDoNotCount) {
  OutlierDetector d(defaults(), nullptr);
  OutlierClock::time_point t{};
  for (int i = 0; i < 4; ++i) d.report(Outcome::kTimeout, t);
  d.report(Outcome::kSuccess, t);
  EXPECT_EQ(d.consecutive_failures(), 0U);
  for (int i = 0; i < 4; ++i) d.report(Outcome::kTimeout, t);
  d.report(Outcome::kBusy, t);       // Ollama's 503 busy: overload, not a fault
  d.report(Outcome::kCancelled, t);  // the client left
  EXPECT_EQ(d.consecutive_failures(), 4U);
  EXPECT_FALSE(d.is_ejected(t));
  EXPECT_EQ(d.report(Outcome::kTimeout, t), ReportResult::kEjected);
}

TEST(OutlierDetector, EjectionsGrowAndAreCapped) {
  config::OutlierConfig c = defaults();
  c.consecutive_failures = 1;
  c.max_ejection = 70s;
  OutlierDetector d(c, nullptr);
  OutlierClock::time_point t{};
  ASSERT_EQ(d.report(Outcome::kConnectFailure, t), ReportResult::kEjected);
  EXPECT_EQ(d.ejected_until(), t + 30s);
  t += 30s;  // back, fails again at once
  ASSERT_EQ(d.report(Outcome::kConnectFailure, t), ReportResult::kEjected);
  EXPECT_EQ(d.ejected_until(), t + 60s);
  t += 60s;
  ASSERT_EQ(d.report(Outcome::kConnectFailure, t), ReportResult::kEjected);
  EXPECT_EQ(d.ejected_until(), t + 70s);  // 90 s capped at 70 s
  EXPECT_EQ(d.ejections(), 3U);
}

TEST(OutlierDetector, TheMultiplierDecaysWhileHealthy) {
  config::OutlierConfig c = defaults();
  c.consecutive_failures = 1;
  OutlierDetector d(c, nullptr);
  OutlierClock::time_point t{};
  d.report(Outcome::kConnectFailure, t);  // x1, until 30 s
  t += 30s;
  d.report(Outcome::kConnectFailure, t);  // x2, until 90 s
  t += 60s + 60s;                          // 60 s = two base periods calm since it came back
  d.report(Outcome::kConnectFailure, t);
  EXPECT_EQ(d.ejected_until(), t + 30s);  // back to x1
}

TEST(OutlierDetector, ReportsWhileEjectedDoNotExtendIt) {
  config::OutlierConfig c = defaults();
  c.consecutive_failures = 2;
  OutlierDetector d(c, nullptr);
  OutlierClock::time_point t{};
  d.report(Outcome::kConnectFailure, t);
  d.report(Outcome::kConnectFailure, t);
  ASSERT_TRUE(d.is_ejected(t));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(d.report(Outcome::kConnectFailure, t + 1s), ReportResult::kNone);
  EXPECT_EQ(d.ejected_until(), t + 30s);
}

TEST(OutlierDetector, MaxEjectionPercentCapsThePool) {
  auto budget = std::make_shared<EjectionBudget>(4, 50);  // at most 2 of 4
  config::OutlierConfig c = defaults();
  c.consecutive_failures = 1;
  OutlierDetector a(c, budget), b(c, budget), d(c, budget);
  OutlierClock::time_point t{};
  EXPECT_EQ(a.report(Outcome::kConnectFailure, t), ReportResult::kEjected);
  EXPECT_EQ(b.report(Outcome::kConnectFailure, t), ReportResult::kEjected);
  EXPECT_EQ(d.report(Outcome::kConnectFailure, t), ReportResult::kEjectionSkipped);
  EXPECT_FALSE(d.is_ejected(t));
  EXPECT_FALSE(a.is_ejected(t + 30s));  // a comes back, budget frees up
  EXPECT_EQ(d.report(Outcome::kConnectFailure, t + 30s), ReportResult::kEjected);

  auto single = std::make_shared<EjectionBudget>(1, 50);  // one backend at 50 %: never ejected
  OutlierDetector only(c, single);
  EXPECT_EQ(only.report(Outcome::kConnectFailure, t), ReportResult::kEjectionSkipped);
  auto all = std::make_shared<EjectionBudget>(1, 100);
  OutlierDetector alone(c, all);
  EXPECT_EQ(alone.report(Outcome::kConnectFailure, t), ReportResult::kEjected);
}

TEST(OutlierDetector, ZeroThresholdDisables) {
  config::OutlierConfig c = defaults();
  c.consecutive_failures = 0;
  OutlierDetector d(c, nullptr);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(d.report(Outcome::kConnectFailure, OutlierClock::time_point{}), ReportResult::kNone);
}

TEST(OutlierDetector, DestroyingAnEjectedDetectorReturnsItsBudget) {
  auto budget = std::make_shared<EjectionBudget>(2, 50);
  config::OutlierConfig c = defaults();
  c.consecutive_failures = 1;
  {
    OutlierDetector d(c, budget);
    ASSERT_EQ(d.report(Outcome::kConnectFailure, OutlierClock::time_point{}), ReportResult::kEjected);
    EXPECT_EQ(budget->ejected(), 1U);
  }
  EXPECT_EQ(budget->ejected(), 0U);
}

}  // namespace
}  // namespace corral::upstream
