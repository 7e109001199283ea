// The configuration of API keys, rate limits and trusted proxies as plain structs. The config loader
// maps YAML onto these (docs/security.md has the key reference); nothing here parses YAML or files.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::config {

/// `role`: what a key may do beyond inference.
enum class Role : std::uint8_t {
  kUser,   ///< `user`: inference and read-only calls on the pools and models it is allowed.
  kAdmin,  ///< `admin`: also the management calls (/api/pull|push|delete|create|copy|blobs/*) on the public listener.
};

/// A token bucket's size and refill, as written in the configuration. 0 = no limit.
struct RequestLimit {
  /// `requests` (integer, 0 = unlimited): bucket capacity, i.e. the burst.
  std::uint32_t requests = 0;
  /// `interval` (duration > 0, default 1s): time in which `requests` refill completely.
  std::chrono::milliseconds interval{1000};

  [[nodiscard]] bool enabled() const { return requests > 0 && interval.count() > 0; }
};

/// `limits` of a key (each optional; absent = unlimited).
struct KeyLimits {
  /// `limits.requests` + `limits.interval`: request rate of this key across all its clients.
  RequestLimit requests;
  /// `limits.tokens_per_minute` (integer, 0 = unlimited): generated tokens (eval_count of the final object,
  /// charged after the response). A key in debt is refused until the bucket has refilled above zero.
  std::uint64_t tokens_per_minute = 0;
};

/// One item of `auth.keys`.
struct ApiKeyConfig {
  /// `name` (string, required, unique): shown in logs and metrics; never the key itself.
  std::string name;
  /// `sha256` (64 lower-case hex digits, required): SHA-256 of the key as printed by `corral hash-key`.
  std::string sha256;
  /// `role` (`user` | `admin`, default `user`).
  Role role = Role::kUser;
  /// `allowed_pools` (list of globs, default empty = every pool).
  std::vector<std::string> allowed_pools;
  /// `allowed_models` (list of globs on the normalised model name, default empty = every model). A pattern
  /// without `:` matches the name without its tag, as in `models[].match`.
  std::vector<std::string> allowed_models;
  /// `limits` (optional).
  KeyLimits limits;
};

/// `auth`: who may call the public listener.
struct AuthConfig {
  /// `auth.enabled` (bool; default: true when keys are configured or the public listener is not on
  /// loopback, else false). nullopt = not written; resolve with auth_enabled().
  std::optional<bool> enabled;
  /// `auth.keys` (list).
  std::vector<ApiKeyConfig> keys;
};

/// `auth.enabled` as written; else on when keys are configured or `listen_host` is not a loopback address
/// (nor `localhost`): a gateway reachable from the network never runs open by accident.
[[nodiscard]] bool auth_enabled(const AuthConfig& config, std::string_view listen_host);

/// `rate_limits`: limits that do not depend on the key.
struct RateLimitConfig {
  /// `rate_limits.per_ip.requests` + `rate_limits.per_ip.interval`: per client address (after
  /// X-Forwarded-For resolution). Example from the seed HAProxy: 100 requests per 10s.
  RequestLimit per_ip;
  /// `rate_limits.max_buckets` (integer, default 100000): bound on the limiter's memory; idle buckets are
  /// evicted first, then the least recently used.
  std::uint32_t max_buckets = 100000;
};

/// `trusted_proxies` (list of CIDRs, default empty): peers whose X-Forwarded-For is believed.
struct TrustedProxyConfig {
  std::vector<std::string> cidrs;
};

}  // namespace corral::config
