// h2o-style invariants over many picks: a policy never returns an index outside the candidates and
// never prefers a strictly worse candidate by its own measure.
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "lb/consistent_hash.hpp"
#include "lb/least_connections.hpp"
#include "lb/model_aware.hpp"
#include "lb/policy.hpp"
#include "lb/power_of_two.hpp"
#include "lb/round_robin.hpp"

namespace corral::lb {
namespace {

std::vector<Candidate> random_candidates(std::mt19937_64& rng, std::uint32_t pool_size) {
  std::vector<Candidate> out;
  for (std::uint32_t b = 0; b < pool_size; ++b) {
    if (rng() % 3 == 0) continue;  // ineligible this time
    Candidate c{b};
    c.weight = 1 + static_cast<std::uint32_t>(rng() % 4);
    c.in_flight = static_cast<std::uint32_t>(rng() % 6);
    c.queued = static_cast<std::uint32_t>(rng() % 3);
    c.warm = rng() % 2 == 0;
    out.push_back(c);
  }
  return out;
}

// load / weight as a fraction compared by cross multiplication
bool strictly_less(std::uint64_t la, std::uint64_t wa, std::uint64_t lb, std::uint64_t wb) { return la * wb < lb * wa; }

config::PoolConfig pool_of(std::uint32_t n) {
  config::PoolConfig pool;
  pool.name = "p";
  for (std::uint32_t i = 0; i < n; ++i) {
    config::BackendConfig b;
    b.name = "b" + std::to_string(i);
    pool.backends.push_back(b);
  }
  return pool;
}

TEST(PolicyInvariants, EmptyCandidatesGiveNothing) {
  const auto pool = pool_of(3);
  for (auto policy : {config::Policy::kRoundRobin, config::Policy::kLeastConnections, config::Policy::kPowerOfTwo,
                      config::Policy::kConsistentHash, config::Policy::kModelAware}) {
    auto p = pool;
    p.policy = policy;
    EXPECT_FALSE(make_policy(p)->pick({}, PickContext{}).has_value()) << config::to_string(policy);
  }
}

TEST(PolicyInvariants, AlwaysInRange) {
  std::mt19937_64 rng(42);
  const auto pool = pool_of(7);
  for (auto policy : {config::Policy::kRoundRobin, config::Policy::kLeastConnections, config::Policy::kPowerOfTwo,
                      config::Policy::kConsistentHash, config::Policy::kModelAware}) {
    auto p = pool;
    p.policy = policy;
    auto balancer = make_policy(p);
    for (int i = 0; i < 10'000; ++i) {
      const auto candidates = random_candidates(rng, 7);
      PickContext ctx{"m:latest", rng(), rng() % 2 == 0, rng()};
      const auto picked = balancer->pick(candidates, ctx);
      ASSERT_EQ(picked.has_value(), !candidates.empty());
      if (picked) {
        ASSERT_LT(*picked, candidates.size());
      }
    }
  }
}

TEST(PolicyInvariants, LeastConnectionsNeverPrefersAWorseOne) {
  std::mt19937_64 rng(7);
  LeastConnectionsPolicy policy;
  for (int i = 0; i < 10'000; ++i) {
    const auto candidates = random_candidates(rng, 6);
    const auto picked = policy.pick(candidates, PickContext{{}, 0, false, rng()});
    if (candidates.empty()) continue;
    const Candidate& p = candidates[*picked];
    for (const Candidate& c : candidates) {
      ASSERT_FALSE(strictly_less(c.in_flight + 1, c.weight, p.in_flight + 1, p.weight));
    }
  }
}

TEST(PolicyInvariants, ModelAwarePrefersWarmThenLeastLoaded) {
  std::mt19937_64 rng(9);
  ModelAwarePolicy policy;
  for (int i = 0; i < 10'000; ++i) {
    const auto candidates = random_candidates(rng, 6);
    const auto picked = policy.pick(candidates, PickContext{"m", 0, false, rng()});
    if (candidates.empty()) continue;
    const Candidate& p = candidates[*picked];
    bool any_warm = false;
    for (const Candidate& c : candidates) any_warm = any_warm || c.warm;
    ASSERT_EQ(p.warm, any_warm);
    for (const Candidate& c : candidates) {
      if (c.warm != p.warm) continue;
      ASSERT_FALSE(strictly_less(c.in_flight + c.queued + 1, c.weight, p.in_flight + p.queued + 1, p.weight));
    }
  }
}

TEST(PolicyInvariants, PowerOfTwoNeverPicksTheUniqueWorst) {
  std::mt19937_64 rng(11);
  PowerOfTwoPolicy policy;
  int checked = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto candidates = random_candidates(rng, 6);
    if (candidates.size() < 2) continue;
    const auto picked = policy.pick(candidates, PickContext{{}, 0, false, rng()});
    const Candidate& p = candidates[*picked];
    // p lost to nobody it was compared with, so some other candidate is at least as bad as p.
    bool someone_as_bad = false;
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      const Candidate& c = candidates[j];
      if (j != *picked && !strictly_less(c.in_flight + c.queued + 1, c.weight, p.in_flight + p.queued + 1, p.weight)) {
        someone_as_bad = true;
      }
    }
    ASSERT_TRUE(someone_as_bad);
    ++checked;
  }
  EXPECT_GT(checked, 5000);
}

TEST(PolicyInvariants, TiesAreBrokenAcrossAllTiedCandidates) {
  LeastConnectionsPolicy policy;
  std::vector<Candidate> candidates{{0}, {1}, {2}, {3}};
  std::map<std::size_t, int> hits;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 8000; ++i) ++hits[*policy.pick(candidates, PickContext{{}, 0, false, rng()})];
  ASSERT_EQ(hits.size(), 4U);
  for (const auto& [idx, n] : hits) EXPECT_NEAR(n, 2000, 300) << idx;
}

}  // namespace
}  // namespace corral::lb
