// Counter: a monotonically increasing count that any thread bumps without a lock.
// Relaxed ordering is enough: nothing is published through a counter, and a scrape only
// needs each value to be eventually exact (after N increments it says N).
#pragma once

#include <atomic>
#include <cstdint>

namespace corral::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }
  /// Mirrors a monotonic total counted elsewhere (e.g. SharedStore::stats()): raises the value to
  /// `total`, never lowers it, so concurrent scrapes cannot double-count.
  void advance_to(std::uint64_t total) noexcept {
    std::uint64_t current = value_.load(std::memory_order_relaxed);
    while (current < total && !value_.compare_exchange_weak(current, total, std::memory_order_relaxed)) {
    }
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace corral::metrics
