// Cost before load: a cold load costs seconds to minutes, a queue slot far less, so a busier warm
// backend beats an idle cold one, and a loading backend (single flight) beats starting a second load.
// Without cost information (all zero) this degrades to the old two tiers: warm first, then least loaded.
#include "lb/model_aware.hpp"

#include "lb/load_compare.hpp"

namespace corral::lb {

std::optional<std::size_t> ModelAwarePolicy::pick(std::span<const Candidate> candidates, const PickContext& ctx) {
  if (candidates.empty()) return std::nullopt;
  const bool rendezvous = !ctx.model_key.empty();
  const std::uint64_t model_hash = rendezvous ? common::hash_key(ctx.model_key) : 0;
  auto affinity = [&](const Candidate& c) { return common::mix64(model_hash ^ common::mix64(c.backend)); };

  TieBreaker ties(ctx.random);
  std::optional<std::size_t> best;
  std::uint32_t tied = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (!best) {
      best = i;
      tied = 1;
      continue;
    }
    const Candidate& b = candidates[*best];
    int cmp = c.warm != b.warm ? (c.warm ? -1 : 1) : 0;
    if (cmp == 0 && c.cost_ns != b.cost_ns) cmp = c.cost_ns < b.cost_ns ? -1 : 1;
    if (cmp == 0) {
      cmp = compare_weighted(std::uint64_t{c.in_flight} + c.queued + 1, effective_weight(c),
                             std::uint64_t{b.in_flight} + b.queued + 1, effective_weight(b));
    }
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
