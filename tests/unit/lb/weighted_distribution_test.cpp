// Weighted proportions under a load model: each pick adds one request, and requests finish in FIFO order
// once a small number are in flight, so load-based policies see realistic, changing counts.
#include <deque>
#include <set>
#include <string>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lb/least_connections.hpp"
#include "lb/model_aware.hpp"
#include "lb/power_of_two.hpp"

namespace corral::lb {
namespace {

std::vector<double> run(Policy& policy, const std::vector<std::uint32_t>& weights, int picks) {
  std::vector<Candidate> candidates;
  for (std::uint32_t i = 0; i < weights.size(); ++i) candidates.push_back(Candidate{i, weights[i]});
  std::vector<int> hits(weights.size());
  std::deque<std::size_t> in_flight;
  std::mt19937_64 rng(3);
  for (int i = 0; i < picks; ++i) {
    // Each backend finishes at a rate proportional to its weight (a faster machine).
    for (std::size_t b = 0; b < candidates.size(); ++b) {
      if (candidates[b].in_flight > 0 && rng() % 8 < weights[b]) --candidates[b].in_flight;
    }
    const std::size_t p = *policy.pick(candidates, PickContext{{}, 0, false, rng()});
    ++candidates[p].in_flight;
    ++hits[p];
  }
  std::vector<double> share;
  for (int h : hits) share.push_back(static_cast<double>(h) / picks);
  return share;
}

TEST(WeightedDistribution, LeastConnectionsFollowsWeights) {
  LeastConnectionsPolicy policy;
  const auto share = run(policy, {1, 3}, 20'000);
  EXPECT_NEAR(share[1], 0.75, 0.08);
}

TEST(WeightedDistribution, PowerOfTwoFollowsWeights) {
  PowerOfTwoPolicy policy;
  const auto share = run(policy, {1, 1, 2}, 20'000);
  EXPECT_NEAR(share[2], 0.5, 0.08);
  EXPECT_NEAR(share[0], share[1], 0.05);
}

TEST(WeightedDistribution, ModelAwareColdCandidatesShareLikeLeastLoaded) {
  ModelAwarePolicy policy;
  const auto share = run(policy, {1, 1, 1}, 9'000);
  for (double s : share) EXPECT_NEAR(s, 1.0 / 3, 0.05);
}

TEST(ModelAware, WarmBeatsIdleCold) {
  ModelAwarePolicy policy;
  std::vector<Candidate> candidates{{0}, {1}, {2}};
  candidates[1].warm = true;
  candidates[1].in_flight = 5;
  EXPECT_EQ(policy.pick(candidates, {}), 1U);
  candidates[2].warm = true;
  candidates[2].in_flight = 2;
  EXPECT_EQ(policy.pick(candidates, {}), 2U);  // the less loaded warm one
}

}  // namespace
}  // namespace corral::lb

namespace corral::lb {
namespace {

TEST(ModelAware, IdleColdFleetSendsOneModelToOneBackend) {
  ModelAwarePolicy policy;
  const std::vector<Candidate> idle{{0}, {1}, {2}, {3}, {4}, {5}};
  std::set<std::uint32_t> chosen_for_models;
  for (int m = 0; m < 60; ++m) {
    const std::string model = "model-" + std::to_string(m) + ":latest";
    const auto first = *policy.pick(idle, PickContext{model, 0, false, 1});
    for (std::uint64_t r = 2; r < 50; ++r) {
      ASSERT_EQ(*policy.pick(idle, PickContext{model, 0, false, r}), first) << model;  // no random spread
    }
    chosen_for_models.insert(idle[first].backend);
  }
  EXPECT_GE(chosen_for_models.size(), 5U);  // different models spread over the fleet
}

}  // namespace
}  // namespace corral::lb
