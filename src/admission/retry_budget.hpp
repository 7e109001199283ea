// Caps retries so a failing fleet is not stormed (Finagle/Envoy retry budgets): over a sliding window,
// retries may add at most `ratio` x the requests seen, but `min_per_second` per second are always allowed.
// Lock-free (per-second buckets of atomics); counts are approximate under contention, which a budget
// tolerates. Time is passed in. Shared by every worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "config/config.hpp"

namespace corral::admission {

class RetryBudget final {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RetryBudget(const config::RetryBudgetConfig& config);

  /// One client request (its first attempt) at `now`.
  void record_request(Clock::time_point now);
  /// True, and counted, when a retry at `now` fits the budget; false means fail without retrying.
  [[nodiscard]] bool try_retry(Clock::time_point now);
  /// Retries still allowed in the window ending at `now` (metrics, tests).
  [[nodiscard]] std::uint64_t remaining(Clock::time_point now);

 private:
  struct Bucket {
    std::atomic<std::int64_t> second{-1};
    std::atomic<std::uint32_t> requests{0};
    std::atomic<std::uint32_t> retries{0};
  };
  Bucket& bucket(std::int64_t second);
  void totals(std::int64_t second, std::uint64_t& requests, std::uint64_t& retries) const;
  std::uint64_t allowed(std::uint64_t requests) const;

  std::unique_ptr<Bucket[]> buckets_;
  std::int64_t window_seconds_;
  double ratio_;
  std::uint32_t min_per_second_;
};

}  // namespace corral::admission
