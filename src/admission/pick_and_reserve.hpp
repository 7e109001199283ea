// The atomic pick-and-reserve step (Paddler's claim-and-retry): let the policy choose, take the chosen
// backend's slot with a compare-and-swap, and on a lost race drop that candidate and choose again. A
// request never holds a pick without a slot, so concurrent workers cannot herd onto one backend.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "admission/lease.hpp"
#include "admission/slots.hpp"
#include "lb/policy.hpp"

namespace corral::admission {

class PoolQueue;

/// Picks among `candidates` (consumed: lost races are erased from it) with `policy` and reserves a slot.
/// `slots_by_backend[c.backend]` is each candidate's counter (non-null). Returns an empty Lease when
/// `candidates` is empty or every candidate's slot was taken meanwhile (the caller, who knows whether any
/// backend is eligible at all, returns Lease::none_eligible() itself). The lease kicks `queue` on release.
/// `model_slots_by_backend[c.backend]`, when given and non-null, must have a free slot too (num_parallel).
/// Thread-safe as far as `policy` is (all policies are).
[[nodiscard]] Lease pick_and_reserve(PoolQueue& queue, lb::Policy& policy, std::vector<lb::Candidate>& candidates,
                                     std::span<const std::shared_ptr<Slots>> slots_by_backend,
                                     const lb::PickContext& ctx,
                                     std::span<const std::shared_ptr<Slots>> model_slots_by_backend = {});

}  // namespace corral::admission
