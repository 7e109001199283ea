// Weighted least connections: the candidate with the fewest in-flight requests per unit of weight,
// ties broken at random (reservoir sampling over the tied set, seeded by the pick's random bits).
// Stateless, so trivially thread-safe.
#pragma once

#include "lb/policy.hpp"

namespace corral::lb {

class LeastConnectionsPolicy final : public Policy {
 public:
  [[nodiscard]] std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                const PickContext& ctx) override;
};

}  // namespace corral::lb
