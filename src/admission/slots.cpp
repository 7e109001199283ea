// The CAS loop re-reads the limit each round, so a reload that lowers max_inflight takes effect at once
// for new takes (slots already held above the new limit drain naturally).
#include "admission/slots.hpp"

namespace corral::admission {

bool Slots::try_take() {
  std::uint32_t current = in_flight.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint32_t cap = limit.load(std::memory_order_relaxed);
    if (cap != 0 && current >= cap) return false;
    if (in_flight.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
      return true;
    }
  }
}

void Slots::give_back() { in_flight.fetch_sub(1, std::memory_order_acq_rel); }

bool Slots::has_free() const {
  const std::uint32_t cap = limit.load(std::memory_order_relaxed);
  return cap == 0 || in_flight.load(std::memory_order_relaxed) < cap;
}

}  // namespace corral::admission
