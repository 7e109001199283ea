#include "upstream/health_state.hpp"

#include <gtest/gtest.h>

namespace corral::upstream {
namespace {

TEST(HealthState, FlipsExactlyAtFallAndRise) {
  HealthState h(/*rise=*/2, /*fall=*/3);
  EXPECT_TRUE(h.healthy());
  EXPECT_EQ(h.observe(true), HealthTransition::kUnchanged);
  EXPECT_EQ(h.observe(false), HealthTransition::kChangePending);
  EXPECT_EQ(h.observe(false), HealthTransition::kChangePending);
  EXPECT_TRUE(h.healthy());
  EXPECT_EQ(h.pending(), 2U);
  EXPECT_EQ(h.observe(false), HealthTransition::kChanged);
  EXPECT_FALSE(h.healthy());
  EXPECT_EQ(h.status(), HealthStatus::kUnhealthy);
  EXPECT_EQ(h.observe(false), HealthTransition::kUnchanged);
  EXPECT_EQ(h.observe(true), HealthTransition::kChangePending);
  EXPECT_EQ(h.observe(true), HealthTransition::kChanged);
  EXPECT_TRUE(h.healthy());
}

TEST(HealthState, AnAgreeingProbeResetsTheCount) {
  HealthState h(2, 3);
  EXPECT_EQ(h.observe(false), HealthTransition::kChangePending);
  EXPECT_EQ(h.observe(false), HealthTransition::kChangePending);
  EXPECT_EQ(h.observe(true), HealthTransition::kUnchanged);  // flapping does not accumulate
  EXPECT_EQ(h.pending(), 0U);
  EXPECT_EQ(h.observe(false), HealthTransition::kChangePending);
  EXPECT_EQ(h.observe(false), HealthTransition::kChangePending);
  EXPECT_TRUE(h.healthy());
}

TEST(HealthState, InitialStates) {
  HealthState down(2, 3, HealthStatus::kUnhealthy);
  EXPECT_FALSE(down.healthy());
  EXPECT_EQ(down.observe(true), HealthTransition::kChangePending);
  EXPECT_EQ(down.observe(true), HealthTransition::kChanged);

  HealthState unknown(2, 3, HealthStatus::kUnknown);
  EXPECT_FALSE(unknown.healthy());
  EXPECT_EQ(unknown.observe(false), HealthTransition::kChanged);  // the first probe decides at once
  EXPECT_EQ(unknown.status(), HealthStatus::kUnhealthy);
  HealthState unknown2(2, 3, HealthStatus::kUnknown);
  EXPECT_EQ(unknown2.observe(true), HealthTransition::kChanged);
  EXPECT_TRUE(unknown2.healthy());
}

TEST(HealthState, ThresholdsOfOne) {
  HealthState h(0, 0);  // read as 1
  EXPECT_EQ(h.observe(false), HealthTransition::kChanged);
  EXPECT_EQ(h.observe(true), HealthTransition::kChanged);
}

}  // namespace
}  // namespace corral::upstream
