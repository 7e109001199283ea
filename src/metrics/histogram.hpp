// Histogram: fixed upper bounds chosen at construction, one relaxed atomic count per bucket
// plus an overflow (+Inf) bucket, and the sum. Recording is a short scan of the bounds and two
// fetch_adds: no lock, no allocation.
//
// The sum is kept as an integer number of millionths of the unit (microseconds for the
// *_seconds histograms) so that adding is one exact fetch_add instead of a CAS loop on a
// double; observations are clamped at 0 and the sum wraps after ~1.8e13 units, far beyond any
// process lifetime. _count is derived from the buckets at scrape time, so the exposition
// always satisfies count == bucket{le="+Inf"}.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace corral::metrics {

class Histogram {
 public:
  /// `bounds` must be strictly increasing and finite, and outlive the histogram (use static
  /// arrays such as those in corral_metrics.cpp).
  explicit Histogram(std::span<const double> bounds);

  void observe(double value) noexcept;

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then the +Inf bucket
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  std::span<const double> bounds() const noexcept { return bounds_; }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<std::uint64_t> sum_millionths_{0};
};

}  // namespace corral::metrics
