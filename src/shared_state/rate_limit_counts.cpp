#include "shared_state/rate_limit_counts.hpp"

namespace corral::shared_state {
namespace {

struct Counts {
  std::atomic<std::uint64_t> key_requests{0};
  std::atomic<std::uint64_t> key_tokens{0};
  std::atomic<std::uint64_t> ip_requests{0};
};

Counts& counts() {
  static Counts c;
  return c;
}

}  // namespace

void count_refusal(std::span<const ratelimit::BucketOp> ops, const ratelimit::RateDecision& d) noexcept {
  if (d.allowed || d.refused_by >= ops.size()) return;
  const std::string& name = ops[d.refused_by].key;
  auto& c = counts();
  if (name.starts_with("ip:")) {
    c.ip_requests.fetch_add(1, std::memory_order_relaxed);
  } else if (name.ends_with(":tok")) {
    c.key_tokens.fetch_add(1, std::memory_order_relaxed);
  } else {
    c.key_requests.fetch_add(1, std::memory_order_relaxed);
  }
}

RateLimitTotals rate_limit_totals() noexcept {
  const auto& c = counts();
  return {c.key_requests.load(std::memory_order_relaxed), c.key_tokens.load(std::memory_order_relaxed),
          c.ip_requests.load(std::memory_order_relaxed)};
}

}  // namespace corral::shared_state
