// Score = (in_flight + 1) / weight: the +1 counts the request being placed, so among idle backends the
// heavier one wins (0/1 and 0/10 would tie), and a backend of weight w takes about w times the load
// before it looks as busy as one of weight 1 (HAProxy's leastconn with weights, Envoy's LEAST_REQUEST
// with equal active-request bias).
#include "lb/least_connections.hpp"

#include "lb/load_compare.hpp"

namespace corral::lb {

std::optional<std::size_t> LeastConnectionsPolicy::pick(std::span<const Candidate> candidates,
                                                        const PickContext& ctx) {
  if (candidates.empty()) return std::nullopt;
  TieBreaker ties(ctx.random);
  std::size_t best = 0;
  std::uint32_t tied = 1;
  for (std::size_t i = 1; i < candidates.size(); ++i) {
    const int cmp = compare_weighted(std::uint64_t{candidates[i].in_flight} + 1, effective_weight(candidates[i]),
                                     std::uint64_t{candidates[best].in_flight} + 1,
                                     effective_weight(candidates[best]));
    if (cmp < 0) {
      best = i;
      tied = 1;
    } else if (cmp == 0 && ties.take(++tied)) {
      best = i;
    }
  }
  return best;
}

}  // namespace corral::lb
