// Bucket i holds second s where s mod window == i; a bucket found holding an older second is claimed by a
// compare-and-swap and zeroed (an increment racing with the reset may be lost: acceptable for a budget).
#include "admission/retry_budget.hpp"

#include <algorithm>
#include <cmath>

namespace corral::admission {
namespace {

std::int64_t second_of(RetryBudget::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

RetryBudget::RetryBudget(const config::RetryBudgetConfig& config)
    : window_seconds_(std::clamp<std::int64_t>(std::chrono::ceil<std::chrono::seconds>(config.window).count(), 1, 3600)),
      ratio_(std::clamp(config.ratio, 0.0, 1.0)),
      min_per_second_(config.min_per_second) {
  buckets_ = std::make_unique<Bucket[]>(static_cast<std::size_t>(window_seconds_));
}

RetryBudget::Bucket& RetryBudget::bucket(std::int64_t second) {
  const auto index = static_cast<std::size_t>(((second % window_seconds_) + window_seconds_) % window_seconds_);
  Bucket& b = buckets_[index];
  std::int64_t held = b.second.load(std::memory_order_acquire);
  while (held < second) {
    if (b.second.compare_exchange_weak(held, second, std::memory_order_acq_rel)) {
      b.requests.store(0, std::memory_order_relaxed);
      b.retries.store(0, std::memory_order_relaxed);
      break;
    }
  }
  return b;
}

void RetryBudget::totals(std::int64_t second, std::uint64_t& requests, std::uint64_t& retries) const {
  requests = 0;
  retries = 0;
  for (std::int64_t i = 0; i < window_seconds_; ++i) {
    const Bucket& b = buckets_[static_cast<std::size_t>(i)];
    const std::int64_t s = b.second.load(std::memory_order_acquire);
    if (s > second - window_seconds_ && s <= second) {
      requests += b.requests.load(std::memory_order_relaxed);
      retries += b.retries.load(std::memory_order_relaxed);
    }
  }
}

std::uint64_t RetryBudget::allowed(std::uint64_t requests) const {
  const auto floor = static_cast<std::uint64_t>(min_per_second_) * static_cast<std::uint64_t>(window_seconds_);
  const auto by_ratio = static_cast<std::uint64_t>(std::floor(ratio_ * static_cast<double>(requests)));
  return std::max(floor, by_ratio);
}

void RetryBudget::record_request(Clock::time_point now) {
  bucket(second_of(now)).requests.fetch_add(1, std::memory_order_relaxed);
}

bool RetryBudget::try_retry(Clock::time_point now) {
  const std::int64_t s = second_of(now);
  Bucket& b = bucket(s);
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  totals(s, requests, retries);
  if (retries >= allowed(requests)) return false;
  b.retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::uint64_t RetryBudget::remaining(Clock::time_point now) {
  const std::int64_t s = second_of(now);
  (void)bucket(s);
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  totals(s, requests, retries);
  const std::uint64_t cap = allowed(requests);
  return retries >= cap ? 0 : cap - retries;
}

}  // namespace corral::admission
