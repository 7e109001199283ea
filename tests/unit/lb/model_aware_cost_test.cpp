// model_aware ranks by expected time to first token (Candidate::cost_ns) before load: a loading backend
// (single flight) beats an idle cold one, a cheap cold load beats one that must evict, and among equal
// costs the least loaded wins. Over many random tie-breaks it never prefers a strictly worse candidate.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lb/model_aware.hpp"

namespace corral::lb {
namespace {

Candidate cand(std::uint32_t backend, bool warm, std::int64_t cost_ns, std::uint32_t in_flight = 0) {
  Candidate c{backend, 1, in_flight, 0, warm};
  c.cost_ns = cost_ns;
  return c;
}

TEST(ModelAwareCost, LoadingBeatsColdAndCheapColdBeatsEviction) {
  ModelAwarePolicy p;
  PickContext ctx;
  ctx.model_key = "m:latest";
  const std::vector<Candidate> loading_vs_cold{cand(0, false, 2'000'000'000), cand(1, true, 5'000'000'000, 3)};
  EXPECT_EQ(p.pick(loading_vs_cold, ctx), 1U);
  const std::vector<Candidate> free_vs_evict{cand(0, false, 9'000'000'000), cand(1, false, 4'000'000'000, 7)};
  EXPECT_EQ(p.pick(free_vs_evict, ctx), 1U);
  const std::vector<Candidate> loaded_vs_loading{cand(0, true, 1'000'000), cand(1, true, 0, 5)};
  EXPECT_EQ(p.pick(loaded_vs_loading, ctx), 1U);
}

TEST(ModelAwareCost, NeverPrefersAStrictlyWorseCandidate) {
  ModelAwarePolicy p;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 10'000; ++round) {
    std::vector<Candidate> cs;
    const std::uint32_t n = 2 + static_cast<std::uint32_t>(rng() % 5);
    for (std::uint32_t i = 0; i < n; ++i) {
      cs.push_back(cand(i, rng() % 2 == 0, static_cast<std::int64_t>(rng() % 3) * 1'000'000'000,
                        static_cast<std::uint32_t>(rng() % 4)));
    }
    PickContext ctx;
    ctx.random = rng();
    if (round % 2 == 0) ctx.model_key = "m:latest";
    const auto chosen = p.pick(cs, ctx);
    ASSERT_TRUE(chosen.has_value());
    const Candidate& c = cs[*chosen];
    for (const Candidate& o : cs) {
      const bool strictly_better = (o.warm && !c.warm) || (o.warm == c.warm && o.cost_ns < c.cost_ns) ||
                                   (o.warm == c.warm && o.cost_ns == c.cost_ns && o.in_flight < c.in_flight);
      ASSERT_FALSE(strictly_better) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace corral::lb
