// The predictive-prewarm rule: the busy average crosses 0.8 only after sustained load, one idle round
// pulls it back, and losing every warm replica forgets the history.
#include "models/busy_predictor.hpp"

#include <gtest/gtest.h>

namespace corral::models {
namespace {

TEST(BusyPredictor, SustainedFullSlotsWantAReplicaAfterThreeRounds) {
  BusyPredictor p;
  EXPECT_FALSE(p.observe(1, 2, 2));  // 0.5
  EXPECT_FALSE(p.observe(1, 2, 2));  // 0.75
  EXPECT_TRUE(p.observe(1, 2, 2));   // 0.875
  EXPECT_DOUBLE_EQ(p.utilization(1), 0.875);
  EXPECT_FALSE(p.observe(1, 0, 2));  // one idle round: 0.4375
  EXPECT_FALSE(p.observe(2, 1, 2));  // models are independent
}

TEST(BusyPredictor, HalfBusyNeverTriggersAndNoWarmSlotsResets) {
  BusyPredictor p;
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(p.observe(1, 1, 2));
  EXPECT_NEAR(p.utilization(1), 0.5, 1e-9);
  for (int i = 0; i < 3; ++i) (void)p.observe(1, 4, 4);
  EXPECT_TRUE(p.utilization(1) >= BusyPredictor::kThreshold);
  EXPECT_FALSE(p.observe(1, 0, 0));
  EXPECT_DOUBLE_EQ(p.utilization(1), 0.0);
}

}  // namespace
}  // namespace corral::models
