// Weighted round robin without a lock: one atomic ticket counter per pool. Equal weights rotate in
// order; unequal weights spread each backend's share over the cycle (see round_robin.cpp).
#pragma once

#include <atomic>
#include <cstdint>

#include "lb/policy.hpp"

namespace corral::lb {

class RoundRobinPolicy final : public Policy {
 public:
  [[nodiscard]] std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                const PickContext& ctx) override;

 private:
  std::atomic<std::uint64_t> ticket_{0};
};

}  // namespace corral::lb
