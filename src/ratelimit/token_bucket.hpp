// Token-bucket arithmetic shared by the local limiter and (mirrored in Lua) the Redis limiter: a bucket
// holds up to `capacity` tokens and refills continuously at `per_second`; a request takes `cost` tokens
// if the bucket holds that many. A charge takes tokens unconditionally and may leave the bucket in debt
// (negative), which refuses everything until the refill brings it above zero again. Pure; no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/auth_config.hpp"
#include "common/clock.hpp"

namespace corral::ratelimit {

using TimePoint = SteadyClock::time_point;

struct BucketLimit {
  double capacity = 0;    ///< tokens when full (the burst)
  double per_second = 0;  ///< refill rate

  [[nodiscard]] bool enabled() const { return capacity > 0 && per_second > 0; }
  friend bool operator==(const BucketLimit&, const BucketLimit&) = default;
};

/// `requests` per `interval`: full again `interval` after emptying.
[[nodiscard]] BucketLimit request_limit(const config::RequestLimit& limit);
/// `tokens` per minute.
[[nodiscard]] BucketLimit tokens_per_minute(std::uint64_t tokens);

/// One bucket's state.
struct BucketState {
  double level = 0;
  TimePoint last{};
};

/// A fresh bucket: full.
[[nodiscard]] BucketState full_bucket(const BucketLimit& limit, TimePoint now);
/// Adds what accrued since `last` (never above capacity; a level above a lowered capacity is clamped).
void refill(BucketState& state, const BucketLimit& limit, TimePoint now);
/// Would a request costing `cost` pass? Needs level >= cost and level > 0 (so cost 0 is a pure "not in
/// debt" check, used for the tokens-per-minute bucket before a request).
[[nodiscard]] bool admits(double level, double cost);
/// Whole seconds until admits() would hold (at least 1): the Retry-After of a refusal.
[[nodiscard]] std::chrono::seconds retry_after(double level, double cost, const BucketLimit& limit);
/// True when the bucket would be full at `now`: dropping it changes nothing (a new bucket starts full).
[[nodiscard]] bool is_idle(const BucketState& state, const BucketLimit& limit, TimePoint now);

/// One operation on a named bucket, as the gateway asks for it.
struct BucketOp {
  enum class Kind : std::uint8_t {
    kTake,    ///< refuse unless admits(level, cost); take `cost` only if every kTake of the call passes
    kCharge,  ///< take `cost` unconditionally (after the fact: generated tokens); never refuses
  };
  std::string key;  ///< bucket name, see the *_bucket() helpers
  BucketLimit limit;
  double cost = 1;
  Kind kind = Kind::kTake;
};

/// The answer to one call.
struct RateDecision {
  bool allowed = true;
  /// Index into the call's ops of the first refusing bucket (valid when !allowed).
  std::size_t refused_by = 0;
  /// Retry-After for a refusal (>= 1 s).
  std::chrono::seconds retry_after{0};
  /// The shared store (Redis) could not answer in time; this is the local fallback's decision (or a
  /// fail-closed refusal).
  bool degraded = false;
};

/// Bucket names. The same names are used locally and in Redis, so state keyed by them survives reloads:
/// limits are passed with each call, buckets persist.
[[nodiscard]] std::string ip_requests_bucket(std::string_view client_ip);
[[nodiscard]] std::string key_requests_bucket(std::string_view key_name);
[[nodiscard]] std::string key_tokens_bucket(std::string_view key_name);

}  // namespace corral::ratelimit
