// Release order matters: the slot is returned before the queue is kicked, so the waiter the kick
// considers can take exactly the slot that was freed.
#include "admission/lease.hpp"

#include <utility>

#include "admission/pool_queue.hpp"

namespace corral::admission {

Lease::Lease(std::uint32_t backend, std::shared_ptr<Slots> slots, std::shared_ptr<PoolQueue> queue)
    : backend_(backend), slots_(std::move(slots)), queue_(std::move(queue)) {}

Lease::Lease(std::uint32_t backend, std::shared_ptr<Slots> slots, std::shared_ptr<Slots> model_slots,
             std::shared_ptr<PoolQueue> queue)
    : backend_(backend), slots_(std::move(slots)), model_slots_(std::move(model_slots)), queue_(std::move(queue)) {}

Lease::Lease(Lease&& other) noexcept
    : backend_(other.backend_),
      slots_(std::move(other.slots_)),
      model_slots_(std::move(other.model_slots_)),
      queue_(std::move(other.queue_)),
      none_eligible_(std::exchange(other.none_eligible_, false)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    backend_ = other.backend_;
    slots_ = std::move(other.slots_);
    model_slots_ = std::move(other.model_slots_);
    queue_ = std::move(other.queue_);
    none_eligible_ = std::exchange(other.none_eligible_, false);
  }
  return *this;
}

Lease::~Lease() { release(); }

Lease Lease::none_eligible() {
  Lease lease;
  lease.none_eligible_ = true;
  return lease;
}

void Lease::release() {
  if (!slots_) return;
  std::shared_ptr<Slots> slots = std::move(slots_);
  std::shared_ptr<PoolQueue> queue = std::move(queue_);
  slots_.reset();
  if (auto model_slots = std::move(model_slots_)) model_slots->give_back();
  slots->give_back();
  if (queue) queue->kick();
}

}  // namespace corral::admission
