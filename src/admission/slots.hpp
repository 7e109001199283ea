// A backend's concurrency counter: how many requests Corral runs on it now, against its max_inflight.
// Owned by the backend (shared_ptr) so it survives configuration reloads; taken with a compare-and-swap
// so picking a backend and reserving its slot is one atomic step (no herding on stale counts).
#pragma once

#include <atomic>
#include <cstdint>

namespace corral::admission {

/// A backend's slot counter, owned by the backend (shared_ptr), survives config reloads.
struct Slots {
  std::atomic<std::uint32_t> in_flight{0};
  std::atomic<std::uint32_t> limit{0};  ///< 0 = unlimited

  /// Takes one slot when in_flight < limit (or limit is 0). Lock-free; any thread.
  [[nodiscard]] bool try_take();
  /// Returns one slot taken by try_take. Prefer Lease, which also wakes the pool's queue.
  void give_back();
  /// True when try_take would succeed now (a hint; may change at once).
  [[nodiscard]] bool has_free() const;
};

}  // namespace corral::admission
