// `redis`: optional state shared by gateway replicas (rate-limit buckets, session affinity). Plain structs
// plus the URL grammar; the config loader maps YAML onto RedisConfig (docs/security.md lists the keys).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::config {

/// `redis.fail_mode`: what a rate-limit decision is when Redis cannot answer in time.
enum class FailMode : std::uint8_t {
  kOpen,    ///< `open` (default): decide with this replica's local buckets (limits hold per replica).
  kClosed,  ///< `closed`: refuse (429 + Retry-After: 1) while Redis is unavailable.
};

struct RedisConfig {
  /// `redis.url` (string; empty = no sharing): `redis://[:password@]host[:port][/db]` (port 6379, db 0) or
  /// `unix:///path/to/redis.sock[?db=N]`.
  std::string url;
  /// `redis.timeout` (duration, default 20ms): how long a request waits for a shared decision before the
  /// local fallback. This is the most Redis can ever add to a request's latency.
  std::chrono::milliseconds timeout{20};
  /// `redis.fail_mode` (`open` | `closed`, default `open`).
  FailMode fail_mode = FailMode::kOpen;
  /// `redis.connect_timeout` (duration, default 500ms): TCP connect + AUTH/SELECT, on the Redis thread.
  std::chrono::milliseconds connect_timeout{500};
  /// `redis.command_timeout` (duration, default 500ms): a command slower than this drops the connection
  /// (reconnect follows). Requests never wait this long: they stop waiting after `timeout`.
  std::chrono::milliseconds command_timeout{500};
  /// `redis.key_prefix` (string, default `corral:`): namespace for every key Corral writes.
  std::string key_prefix = "corral:";
  /// `redis.reconnect_min` / `redis.reconnect_max` (durations, default 100ms / 5s): reconnect backoff.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  /// `redis.max_pending` (integer, default 10000): requests queued for the Redis thread beyond this are
  /// decided locally at once (Redis slow: shed load instead of building a queue).
  std::size_t max_pending = 10000;
};

/// Where to connect, parsed from `redis.url`.
struct RedisEndpoint {
  std::string host;       ///< empty for a unix socket
  std::uint16_t port = 6379;
  std::string unix_path;  ///< non-empty for unix://
  int db = 0;
  std::string password;   ///< empty = no AUTH
};

/// Parses `url`; on failure returns nullopt and sets `error` to a one-line reason.
[[nodiscard]] std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error);

}  // namespace corral::config
