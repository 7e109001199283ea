#include "metrics/window_stats.hpp"

#include <cmath>
#include <cstdio>

#include "metrics/prometheus_text.hpp"

namespace corral::metrics {

const std::array<double, 24>& WindowStats::ttft_bounds() {
  static const std::array<double, 24> b = {0.005, 0.01, 0.015, 0.025, 0.035, 0.05, 0.075, 0.1,
                                           0.15,  0.2,  0.3,   0.4,   0.5,   0.75, 1.0,   1.5,
                                           2.0,   3.0,  5.0,   7.5,   10.0,  15.0, 30.0,  60.0};
  return b;
}

WindowStats::WindowStats(std::chrono::seconds bucket, std::size_t slots)
    : bucket_(bucket), slots_(slots < 2 ? 2 : slots), ring_(new Bucket[slots_]) {}

std::int64_t WindowStats::index_of(Clock::time_point t) const noexcept {
  return t.time_since_epoch() / bucket_;
}

void WindowStats::record(Clock::time_point now, bool error, std::optional<std::chrono::nanoseconds> ttft) noexcept {
  const std::int64_t idx = index_of(now);
  Bucket& b = ring_[static_cast<std::size_t>(idx) % slots_];
  if (b.index.load(std::memory_order_acquire) != idx) {
    std::lock_guard lock(rollover_mutex_);
    const auto seen = b.index.load(std::memory_order_relaxed);
    if (seen > idx) return;  // a late record for a bucket already reused: drop it
    if (seen != idx) {
      b.requests.store(0, std::memory_order_relaxed);
      b.errors.store(0, std::memory_order_relaxed);
      for (auto& c : b.ttft) c.store(0, std::memory_order_relaxed);
      b.index.store(idx, std::memory_order_release);
    }
  }
  b.requests.fetch_add(1, std::memory_order_relaxed);
  if (error) b.errors.fetch_add(1, std::memory_order_relaxed);
  if (ttft) {
    const double s = std::chrono::duration<double>(*ttft).count();
    const auto& bounds = ttft_bounds();
    std::size_t i = 0;
    while (i < bounds.size() && s > bounds[i]) ++i;
    b.ttft[i].fetch_add(1, std::memory_order_relaxed);
  }
}

std::optional<double> WindowStats::quantile(double q, const std::array<double, 24>& bounds,
                                            const std::uint64_t* counts, std::size_t n) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += counts[i];
  if (total == 0) return std::nullopt;
  const double rank = q * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (counts[i] == 0) continue;
    if (static_cast<double>(below + counts[i]) >= rank) {
      if (i >= bounds.size()) return bounds.back();  // overflow bucket: the best we can say
      const double lo = i == 0 ? 0.0 : bounds[i - 1];
      const double hi = bounds[i];
      const double frac = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
      return lo + (hi - lo) * frac;
    }
    below += counts[i];
  }
  return bounds.back();
}

WindowStats::Snapshot WindowStats::snapshot(Clock::time_point now) const {
  Snapshot s;
  s.bucket_seconds = std::chrono::duration<double>(bucket_).count();
  const std::int64_t current = index_of(now);
  std::array<std::uint64_t, kBins> all{};
  double complete_seconds = 0;
  std::uint64_t complete_requests = 0;
  for (std::int64_t idx = current - static_cast<std::int64_t>(slots_) + 1; idx <= current; ++idx) {
    if (idx < 0) continue;
    Point p;
    p.bucket_index = idx;
    p.age_seconds = std::chrono::duration<double>(now - Clock::time_point(bucket_ * idx)).count();
    const Bucket& b = ring_[static_cast<std::size_t>(idx) % slots_];
    std::array<std::uint64_t, kBins> counts{};
    if (b.index.load(std::memory_order_acquire) == idx) {
      p.requests = b.requests.load(std::memory_order_relaxed);
      p.errors = b.errors.load(std::memory_order_relaxed);
      for (std::size_t i = 0; i < kBins; ++i) counts[i] = b.ttft[i].load(std::memory_order_relaxed);
    }
    // The current bucket is partial: divide by the time it has run so far (at least 1 s).
    const double span = idx == current ? std::max(1.0, p.age_seconds) : s.bucket_seconds;
    p.requests_per_s = static_cast<double>(p.requests) / span;
    p.ttft_p50_s = quantile(0.5, ttft_bounds(), counts.data(), kBins);
    p.ttft_p95_s = quantile(0.95, ttft_bounds(), counts.data(), kBins);
    for (std::size_t i = 0; i < kBins; ++i) all[i] += counts[i];
    s.requests += p.requests;
    s.errors += p.errors;
    if (idx != current) {
      complete_seconds += s.bucket_seconds;
      complete_requests += p.requests;
    }
    s.points.push_back(p);
  }
  s.requests_per_s = complete_seconds > 0 ? static_cast<double>(complete_requests) / complete_seconds : 0.0;
  s.ttft_p50_s = quantile(0.5, ttft_bounds(), all.data(), kBins);
  s.ttft_p95_s = quantile(0.95, ttft_bounds(), all.data(), kBins);
  return s;
}

namespace {
std::string opt_json(const std::optional<double>& v) { return v ? format_value(*v) : std::string("null"); }
}  // namespace

std::string WindowStats::to_json(const Snapshot& s) {
  std::string out = "{\"bucket_seconds\":" + format_value(s.bucket_seconds) +
                    ",\"requests_per_s\":" + format_value(s.requests_per_s) +
                    ",\"requests\":" + std::to_string(s.requests) + ",\"errors\":" + std::to_string(s.errors) +
                    ",\"ttft_p50_s\":" + opt_json(s.ttft_p50_s) + ",\"ttft_p95_s\":" + opt_json(s.ttft_p95_s) +
                    ",\"points\":[";
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const auto& p = s.points[i];
    if (i) out += ',';
    out += "{\"age_s\":" + format_value(std::round(p.age_seconds * 1000) / 1000) +
           ",\"requests_per_s\":" + format_value(p.requests_per_s) + ",\"requests\":" + std::to_string(p.requests) +
           ",\"errors\":" + std::to_string(p.errors) + ",\"ttft_p50_s\":" + opt_json(p.ttft_p50_s) +
           ",\"ttft_p95_s\":" + opt_json(p.ttft_p95_s) + "}";
  }
  out += "]}";
  return out;
}

}  // namespace corral::metrics
