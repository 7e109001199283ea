// The Lua script that applies a set of bucket ops atomically inside Redis, with the same semantics as
// ratelimit::LocalRateLimiter::apply (token_bucket.hpp): refill, refuse without taking if any take-op lacks its
// cost, else take every cost; charge-ops always apply. Redis's own clock (TIME) drives the refill, so
// replicas with skewed clocks agree. Each bucket is a hash {l: level, t: ms} that expires when it would be
// full again, so idle buckets cost Redis nothing. Pure helpers: building EVALSHA argv, decoding the reply.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ratelimit/token_bucket.hpp"
#include "shared_state/redis_connection.hpp"

namespace corral::shared_state {

/// The script's source and its SHA-1 (hex), as EVALSHA wants it.
[[nodiscard]] std::string_view rate_limit_script();
[[nodiscard]] const std::string& rate_limit_script_sha();

/// `EVALSHA sha N key... (capacity per_ms cost kind)...` for the enabled ops; `index_map` gets, for each
/// script key, the index of its op in `ops` (disabled ops are skipped). With `use_eval`, `EVAL source ...`.
[[nodiscard]] std::vector<std::string> rate_limit_argv(std::span<const ratelimit::BucketOp> ops,
                                                       std::string_view key_prefix, bool use_eval,
                                                       std::vector<std::size_t>& index_map);

/// Decodes the script's `{refused (1-based, 0 = none), wait_ms}` reply; nullopt when malformed.
[[nodiscard]] std::optional<ratelimit::RateDecision> decode_rate_limit_reply(const RedisReply& reply,
                                                                        const std::vector<std::size_t>& index_map);

/// True for the error reply EVALSHA gives when the script cache does not hold the script (after a Redis
/// restart or SCRIPT FLUSH): retry with EVAL, which also caches it.
[[nodiscard]] bool is_noscript(const RedisReply& reply);

}  // namespace corral::shared_state
