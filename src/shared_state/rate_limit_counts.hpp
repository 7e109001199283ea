// How many rate-limit decisions refused a request, by the bucket that refused: an API key's requests
// bucket, its tokens_per_minute bucket, or a client address's requests bucket (bucket names in
// auth/token_bucket.hpp). Every decision, shared or local, passes through SharedStore::decide, which
// counts here; /metrics mirrors the totals as ollama_gateway_rate_limited_total{scope,kind}. Process-wide
// (like the buckets themselves, which outlive reloads); relaxed atomics, any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "ratelimit/token_bucket.hpp"

namespace corral::shared_state {

struct RateLimitTotals {
  std::uint64_t key_requests = 0;
  std::uint64_t key_tokens = 0;
  std::uint64_t ip_requests = 0;
};

/// Counts `d` when it refused (fail-closed refusals count under the call's first bucket).
void count_refusal(std::span<const ratelimit::BucketOp> ops, const ratelimit::RateDecision& d) noexcept;

/// The totals since the process started.
[[nodiscard]] RateLimitTotals rate_limit_totals() noexcept;

}  // namespace corral::shared_state
