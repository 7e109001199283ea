// Two tiers: if any candidate is warm, only warm ones compete; within the tier, least (in_flight +
// queued + 1) / weight wins. Ties go to the highest rendezvous hash of (model, backend): for an idle
// fleet every request for one model lands on the same backend (one cold load, not one per backend),
// while different models spread over the fleet. Without a model, ties are broken at random.
#include "lb/model_aware.hpp"

#include "lb/load_compare.hpp"

namespace corral::lb {

std::optional<std::size_t> ModelAwarePolicy::pick(std::span<const Candidate> candidates, const PickContext& ctx) {
  if (candidates.empty()) return std::nullopt;
  bool any_warm = false;
  for (const Candidate& c : candidates) any_warm = any_warm || c.warm;

  const bool rendezvous = !ctx.model_key.empty();
  const std::uint64_t model_hash = rendezvous ? hash_key(ctx.model_key) : 0;
  auto affinity = [&](const Candidate& c) { return mix64(model_hash ^ mix64(c.backend)); };

  TieBreaker ties(ctx.random);
  std::optional<std::size_t> best;
  std::uint32_t tied = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (any_warm && !c.warm) continue;
    if (!best) {
      best = i;
      tied = 1;
      continue;
    }
    const Candidate& b = candidates[*best];
    const int cmp = compare_weighted(std::uint64_t{c.in_flight} + c.queued + 1, effective_weight(c),
                                     std::uint64_t{b.in_flight} + b.queued + 1, effective_weight(b));
    if (cmp < 0) {
      best = i;
      tied = 1;
    } else if (cmp == 0) {
      if (rendezvous ? affinity(c) > affinity(b) : ties.take(++tied)) best = i;
    }
  }
  return best;
}

}  // namespace corral::lb
