// Power of two choices: sample two distinct candidates at random, keep the one with less
// (in-flight + queued) per unit of weight. Cheap, and avoids the herding of a pure least-loaded pick
// when many workers decide on slightly stale counts. Stateless.
#pragma once

#include "lb/policy.hpp"

namespace corral::lb {

class PowerOfTwoPolicy final : public Policy {
 public:
  [[nodiscard]] std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                const PickContext& ctx) override;
};

}  // namespace corral::lb
