#include "metrics/histogram.hpp"

#include <cmath>
#include <stdexcept>

namespace corral::metrics {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
  for (std::size_t i = 0; i <= bounds.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) noexcept {
  if (!(value > 0.0)) value = 0.0;  // also maps NaN to 0: a broken clock must not poison _sum
  // Bounds lists are short (a dozen or so), so a linear scan beats a binary search here.
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  const double scaled = value * 1e6;
  const auto millionths = scaled >= 1.8e19 ? UINT64_MAX / 2 : static_cast<std::uint64_t>(std::llround(scaled));
  sum_millionths_.fetch_add(millionths, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = static_cast<double>(sum_millionths_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

}  // namespace corral::metrics
