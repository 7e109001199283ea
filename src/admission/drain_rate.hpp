// How fast a queue drains: an exponentially decaying rate of grants per second (time constant kTau),
// from which Retry-After is derived. Pure: time points are passed in. Not thread-safe (PoolQueue guards
// it with its mutex).
#pragma once

#include <chrono>
#include <cstdint>

namespace corral::admission {

class DrainRate final {
 public:
  using Clock = std::chrono::steady_clock;
  /// Smoothing time constant: a burst's influence halves in about 0.7 x kTau.
  static constexpr std::chrono::seconds kTau{10};

  /// One grant (a request got a slot) at `now`.
  void record(Clock::time_point now);
  /// Grants per second at `now` (decayed since the last grant); 0 before the first.
  [[nodiscard]] double per_second(Clock::time_point now) const;
  /// Seconds a client should wait before retrying when `depth` requests are queued ahead: (depth + 1) /
  /// rate, rounded up, clamped to [1, max_seconds]; `fallback_seconds` (>= 1) when nothing was measured.
  [[nodiscard]] std::uint32_t retry_after_seconds(Clock::time_point now, std::size_t depth,
                                                  std::uint32_t fallback_seconds,
                                                  std::uint32_t max_seconds) const;

 private:
  double rate_ = 0;  // grants/s as of last_
  Clock::time_point first_{};  // the first grant: how much history the rate has
  Clock::time_point last_{};
  bool any_ = false;
};

}  // namespace corral::admission
