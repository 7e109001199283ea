// Each lost race removes one candidate, so the loop ends after at most candidates.size() picks.
#include "admission/pick_and_reserve.hpp"

#include "admission/pool_queue.hpp"

namespace corral::admission {

Lease pick_and_reserve(PoolQueue& queue, lb::Policy& policy, std::vector<lb::Candidate>& candidates,
                       std::span<const std::shared_ptr<Slots>> slots_by_backend, const lb::PickContext& ctx,
                       std::span<const std::shared_ptr<Slots>> model_slots_by_backend) {
  while (!candidates.empty()) {
    const auto chosen = policy.pick(candidates, ctx);
    if (!chosen || *chosen >= candidates.size()) return {};
    const std::uint32_t backend = candidates[*chosen].backend;
    if (backend < slots_by_backend.size() && slots_by_backend[backend]) {
      std::shared_ptr<Slots> model_slots =
          backend < model_slots_by_backend.size() ? model_slots_by_backend[backend] : nullptr;
      Lease lease = queue.try_acquire(backend, slots_by_backend[backend], std::move(model_slots));
      if (lease) return lease;
    }
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(*chosen));
  }
  return {};
}

}  // namespace corral::admission
