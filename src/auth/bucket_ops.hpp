// Which rate-limit buckets a request and its generated tokens go through, from the caller's key and
// address: the bridge between who the client is (key_store.hpp) and the limiter (ratelimit/), which
// knows buckets only by name.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "auth/key_store.hpp"
#include "ratelimit/token_bucket.hpp"
#include "config/config.hpp"

namespace corral::auth {

/// The buckets a request goes through before it is admitted: the client address's request rate
/// (`rate_limits.per_ip`), then the key's request rate and the key's "not in token debt" check. `key` may
/// be nullptr (auth disabled). Disabled limits produce no op.
[[nodiscard]] std::vector<ratelimit::BucketOp> request_ops(const ApiKey* key, std::string_view client_ip,
                                                const config::RateLimitConfig& config);

/// The op that charges `tokens` generated tokens to `key` after a response (empty when the key has no
/// tokens_per_minute limit or key is nullptr).
[[nodiscard]] std::vector<ratelimit::BucketOp> charge_ops(const ApiKey* key, std::uint64_t tokens);

}  // namespace corral::auth
