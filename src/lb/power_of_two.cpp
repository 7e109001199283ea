// Two distinct indices from one random number: the first uniform in [0, n), the second uniform over
// the other n - 1 (drawn in [0, n - 1) and shifted past the first). Load = in_flight + queued, plus one
// for the request being placed, per unit of weight; a tie keeps the first sample.
#include "lb/power_of_two.hpp"

#include "lb/load_compare.hpp"

namespace corral::lb {

std::optional<std::size_t> PowerOfTwoPolicy::pick(std::span<const Candidate> candidates, const PickContext& ctx) {
  const auto n = static_cast<std::uint32_t>(candidates.size());
  if (n == 0) return std::nullopt;
  if (n == 1) return 0;
  const std::uint64_t r1 = common::mix64(ctx.random);
  const std::uint64_t r2 = common::mix64(r1);
  const std::uint32_t a = common::bounded(r1, n);
  std::uint32_t b = common::bounded(r2, n - 1);
  if (b >= a) ++b;
  const Candidate& ca = candidates[a];
  const Candidate& cb = candidates[b];
  const int cmp = compare_weighted(std::uint64_t{ca.in_flight} + ca.queued + 1, effective_weight(ca),
                                   std::uint64_t{cb.in_flight} + cb.queued + 1, effective_weight(cb));
  return cmp <= 0 ? a : b;
}

}  // namespace corral::lb
