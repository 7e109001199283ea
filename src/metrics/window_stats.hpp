// WindowStats: requests/s, errors and time-to-first-token quantiles over the last few minutes,
// for the status page (Prometheus does this better with rate() and histogram_quantile(); the
// page must work without a Prometheus).
//
// A ring of `slots` buckets of `bucket` length (default 30 x 10 s = 5 minutes). Each bucket
// holds relaxed atomic counts and a small fixed log-spaced TTFT histogram. Recording is a few
// fetch_adds; the only lock is taken by the first recorder to enter a new 10-second bucket,
// to clear it. A recorder that raced that rollover may land one count in the neighbouring
// bucket: the page shows rates, and an off-by-one at a boundary is invisible there.
// Time is passed in by the caller, so tests drive it with explicit time points.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace corral::metrics {

class WindowStats {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WindowStats(std::chrono::seconds bucket = std::chrono::seconds(10), std::size_t slots = 30);

  /// One finished request; `ttft` absent when no first token was produced (errors, non-generate).
  void record(Clock::time_point now, bool error, std::optional<std::chrono::nanoseconds> ttft) noexcept;

  struct Point {
    std::int64_t bucket_index = 0;  // now / bucket length: consecutive points differ by one
    double age_seconds = 0;         // how long ago this bucket started, relative to `now`
    double requests_per_s = 0;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::optional<double> ttft_p50_s;  // absent when no request in the bucket had a first token
    std::optional<double> ttft_p95_s;
  };
  struct Snapshot {
    double bucket_seconds = 0;
    std::vector<Point> points;  // oldest first; the last one is the (partial) current bucket
    double requests_per_s = 0;  // over the whole window, complete buckets only
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::optional<double> ttft_p50_s;
    std::optional<double> ttft_p95_s;
  };
  Snapshot snapshot(Clock::time_point now) const;

  /// The snapshot as the `window` object of /corral/api/status (docs/observability.md).
  static std::string to_json(const Snapshot& s);

  /// TTFT histogram bounds in seconds (log-spaced, 5 ms .. 60 s); exposed for tests.
  static const std::array<double, 24>& ttft_bounds();
  /// Quantile q of a bucketed distribution, interpolating linearly inside the bucket
  /// (the same estimate as PromQL's histogram_quantile). `counts` has bounds+1 entries.
  static std::optional<double> quantile(double q, const std::array<double, 24>& bounds,
                                        const std::uint64_t* counts, std::size_t n);

 private:
  static constexpr std::size_t kBins = 25;  // ttft_bounds().size() + overflow
  struct Bucket {
    std::atomic<std::int64_t> index{-1};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> errors{0};
    std::array<std::atomic<std::uint64_t>, kBins> ttft{};
  };
  std::int64_t index_of(Clock::time_point t) const noexcept;

  const Clock::duration bucket_;
  const std::size_t slots_;
  std::unique_ptr<Bucket[]> ring_;
  std::mutex rollover_mutex_;
};

}  // namespace corral::metrics
