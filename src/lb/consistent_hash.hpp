// Consistent hashing with bounded load (Mirrokni et al., "Consistent Hashing with Bounded Loads"):
// a ring of virtual nodes built once from the pool's backends (points hashed from backend names, so a
// reload that reorders or removes backends moves only the keys of the removed ones). A key walks the
// ring clockwise to the first backend that is a candidate and whose load stays within
// factor x the weighted average. Immutable after construction, so thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lb/policy.hpp"

namespace corral::lb {

class ConsistentHashPolicy final : public Policy {
 public:
  /// Virtual nodes per unit of weight.
  static constexpr std::uint32_t kPointsPerWeight = 160;

  /// `names[i]` and `weights[i]` describe backend index i; `balance_factor` >= 1 (1.25 typical).
  ConsistentHashPolicy(const std::vector<std::string>& names, const std::vector<std::uint32_t>& weights,
                       double balance_factor);
  explicit ConsistentHashPolicy(const config::PoolConfig& pool);

  /// Key: ctx.affinity_hash when present, else common::hash_key(ctx.model_key).
  [[nodiscard]] std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                const PickContext& ctx) override;

  /// The backend index the ring maps `key` to when every backend is a candidate and idle (for tests).
  [[nodiscard]] std::uint32_t owner(std::uint64_t key) const;

 private:
  std::vector<std::pair<std::uint64_t, std::uint32_t>> ring_;  // (point, backend), sorted by point
  double balance_factor_;
};

}  // namespace corral::lb
