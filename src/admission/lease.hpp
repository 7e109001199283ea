// RAII ownership of one slot on one backend (and, for model-aware picks, one of the model's slots there). Releasing (destructor or release()) returns the slot and
// kicks the pool queue the lease came from, so the next waiter gets it. Move-only; any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "admission/slots.hpp"

namespace corral::admission {

class PoolQueue;

/// RAII: holds one slot on one backend; destructor gives it back and lets the pool queue grant it to the
/// next waiter.
class [[nodiscard]] Lease {
 public:
  Lease() = default;
  /// Adopts a slot already taken with `slots->try_take()` on backend `backend`; `queue` (may be null) is
  /// kicked on release. Prefer PoolQueue::try_acquire, which takes the slot and builds the lease.
  Lease(std::uint32_t backend, std::shared_ptr<Slots> slots, std::shared_ptr<PoolQueue> queue);
  /// Same, also holding a slot already taken on `model_slots` (the model's num_parallel on that backend).
  Lease(std::uint32_t backend, std::shared_ptr<Slots> slots, std::shared_ptr<Slots> model_slots,
        std::shared_ptr<PoolQueue> queue);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  /// An empty lease that tells admit() "no backend can ever serve this now" (fail with kNoBackend instead
  /// of queueing). Return it from a TryPick when there are no eligible backends at all.
  [[nodiscard]] static Lease none_eligible();

  /// The backend index (in its pool) the slot belongs to. Only meaningful when the lease holds a slot.
  [[nodiscard]] std::uint32_t backend() const { return backend_; }
  /// True while the lease holds a slot.
  explicit operator bool() const { return slots_ != nullptr; }
  /// True for a lease made by none_eligible().
  [[nodiscard]] bool no_eligible_backend() const { return none_eligible_; }
  /// Returns the slot now and kicks the queue; idempotent.
  void release();

 private:
  std::uint32_t backend_ = 0;
  std::shared_ptr<Slots> slots_;
  std::shared_ptr<Slots> model_slots_;  // null when the pick counted no per-model slot
  std::shared_ptr<PoolQueue> queue_;
  bool none_eligible_ = false;
};

}  // namespace corral::admission
