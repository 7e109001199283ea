// Shared arithmetic of the load-based policies: compare load/weight without division (cross
// multiplication in 64 bits cannot overflow for 32-bit loads and weights), and pick uniformly among ties.
#pragma once

#include <cstdint>

#include "common/hash.hpp"
#include "lb/policy.hpp"

namespace corral::lb {

/// Weight as used for balancing: 0 is read as 1.
[[nodiscard]] constexpr std::uint64_t effective_weight(const Candidate& c) { return c.weight == 0 ? 1 : c.weight; }

/// Three-way comparison of load_a / weight_a against load_b / weight_b: <0, 0, >0.
[[nodiscard]] constexpr int compare_weighted(std::uint64_t load_a, std::uint64_t weight_a, std::uint64_t load_b,
                                             std::uint64_t weight_b) {
  const std::uint64_t lhs = load_a * weight_b;
  const std::uint64_t rhs = load_b * weight_a;
  return lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
}

/// Reservoir sampling over a stream of tied candidates: the k-th tie replaces the choice with
/// probability 1/k, so each of n ties ends up chosen with probability 1/n. The random bits come from the
/// pick's context, stretched with splitmix64 per tie.
class TieBreaker {
 public:
  explicit TieBreaker(std::uint64_t random) : state_(random) {}
  /// Call for the first (k = 1) and every further tie; true when this one should replace the choice.
  [[nodiscard]] bool take(std::uint32_t k) {
    if (k <= 1) return true;
    state_ = common::mix64(state_);
    return common::bounded(state_, k) == 0;
  }

 private:
  std::uint64_t state_;
};

}  // namespace corral::lb
