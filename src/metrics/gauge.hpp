// Gauge: a value that goes up and down (in-flight requests, queue depth, VRAM bytes).
// A relaxed std::atomic<double>; add() is C++20's floating fetch_add (a CAS loop inside
// libstdc++, still lock-free). Integer-valued gauges stay exact up to 2^53.
#pragma once

#include <atomic>

namespace corral::metrics {

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  void inc() noexcept { add(1.0); }
  void dec() noexcept { add(-1.0); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace corral::metrics
