// The gateway's configuration as plain structs: what `corral serve -c FILE` and quick mode run
// with. Every field carries its YAML key, type, default and meaning in a `///` comment; this file
// doubles as the reference that docs/configuration.md expands. Parsing and validation live in
// config_loader; nothing here reads files or knows YAML.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/auth_config.hpp"
#include "config/access_log_config.hpp"
#include "config/redis_config.hpp"
#include "config/tls_config.hpp"

namespace corral::config {

/// All durations in the configuration (written with units: `300ms`, `30s`, `5m`, `1h30m`).
using Duration = std::chrono::nanoseconds;

/// How a pool picks one backend among the eligible ones (YAML key `policy`).
enum class Policy {
  kRoundRobin,        ///< `round_robin`: rotate, weighted by `weight`.
  kLeastConnections,  ///< `least_connections`: fewest in-flight requests per unit of `weight`.
  kPowerOfTwo,        ///< `power_of_two`: two random candidates, the one with fewer in-flight + queued.
  kConsistentHash,    ///< `consistent_hash`: ring on `hash_on`, bounded load (`hash_balance_factor`).
  kModelAware,        ///< `model_aware`: a backend that has the model loaded (warm) first, then least loaded.
};

/// The YAML spelling of `policy` (`round_robin`, ...).
[[nodiscard]] std::string_view to_string(Policy policy);
/// Parses the YAML spelling; nullopt when unknown.
[[nodiscard]] std::optional<Policy> policy_from_string(std::string_view text);

/// What a `consistent_hash` pool hashes (YAML key `hash_on`).
struct HashOn {
  enum class Kind {
    kModel,     ///< `model` (default): the normalised model name, so one model sticks to few backends.
    kClientIp,  ///< `client_ip`: the client's address (the peer address, not X-Forwarded-For).
    kHeader,    ///< `header:NAME`: the value of request header NAME; absent header -> model.
  };
  Kind kind = Kind::kModel;
  /// Header name for `header:NAME` (as written; header matching is case-insensitive). Empty otherwise.
  std::string header;
};

/// One Ollama server (an item of `pools[].backends`).
struct BackendConfig {
  /// `url` (string, required): `http://host[:port][/prefix]` or `https://...`. Port defaults to 80 / 443.
  /// A path prefix is kept and prepended to every forwarded path; query, fragment and user info are errors.
  std::string url;
  /// Parsed from `url`: host name or IP literal (IPv6 without brackets).
  std::string host;
  /// Parsed from `url`: TCP port.
  std::uint16_t port = 0;
  /// Parsed from `url`: true for `https://`.
  bool tls = false;
  /// Parsed from `url`: path prefix without a trailing slash ("" for none).
  std::string path_prefix;
  /// `name` (string, default `host:port`): the label in logs, metrics and admin pages; unique in the pool.
  std::string name;
  /// `max_inflight` (integer, default 0 = unlimited): requests Corral runs on this backend at once; the rest
  /// wait in the pool's queue. Ollama itself queues without bound for a loaded model, so set this to about
  /// `num_parallel` x the models it keeps loaded to get honest queueing (the seed HAProxy used maxconn 10).
  std::uint32_t max_inflight = 0;
  /// `weight` (integer >= 1, default 1): share of traffic relative to the pool's other backends.
  std::uint32_t weight = 1;
  /// `vram` (size, optional, e.g. `24GiB`): GPU memory for model placement (model lifecycle). Absent =
  /// unknown, never guessed.
  std::optional<std::uint64_t> vram;
  /// `num_parallel` (integer >= 1, default 1): the backend's OLLAMA_NUM_PARALLEL, slots per loaded model
  /// (Ollama's default has been 1 since v0.10.0).
  std::uint32_t num_parallel = 1;
  /// `agent` (URL, optional): `http://host:port[/prefix]` of the worker's `corral agent`. Polled every
  /// models_poll_interval (GET /agent/api/gpus); while it answers, its VRAM total and use replace `vram` for
  /// placement, the status page and the scale advisor. Empty = no agent.
  std::string agent;
  /// `tls_ca` (path, PEM, optional; `https://` only): the CA certificates a backend's certificate must chain
  /// to. Absent = the system's default CA store.
  std::string tls_ca;
  /// `tls_verify` (bool, default true; `https://` only): false accepts any certificate (a test fleet with
  /// self-signed certificates; the connection is then encrypted but not authenticated).
  bool tls_verify = true;
  /// Parsed from `agent`: host, port and path prefix (empty host when there is no agent).
  std::string agent_host;
  std::uint16_t agent_port = 0;
  std::string agent_path_prefix;
};

/// One pool of interchangeable backends (an item of `pools`).
struct PoolConfig {
  /// `name` (string, required, unique): referenced by `models[].pool` and `default_pool`.
  std::string name;
  /// `policy` (string, default `model_aware`): one of round_robin | least_connections | power_of_two |
  /// consistent_hash | model_aware.
  Policy policy = Policy::kModelAware;
  /// `hash_on` (string, default `model`): `model`, `client_ip` or `header:NAME`; used by consistent_hash.
  HashOn hash_on;
  /// `hash_balance_factor` (number >= 1.0, default 1.25): bounded-load factor for consistent_hash; a backend
  /// whose in-flight count would exceed factor x the pool average is skipped (walks on along the ring).
  double hash_balance_factor = 1.25;
  /// `backends` (list, at least one): the pool's servers; order matters only for stable indices.
  std::vector<BackendConfig> backends;
};

/// One routing rule (an item of `models`); the first rule whose `match` fits the model wins.
struct ModelRoute {
  /// `match` (string glob, required): `*` and `?` on the normalised model name (`llama3:70b-instruct`,
  /// `user/model:tag`), case-insensitive. A pattern without `:` is matched against the name without its tag,
  /// so `qwen*` covers every tag of every qwen model; with `:` it is matched against `name:tag`.
  std::string match;
  /// `pool` (string, required): a defined pool's name.
  std::string pool;
  /// `min_replicas` (integer, optional): keep at least this many backends with the model loaded (lifecycle).
  std::optional<std::uint32_t> min_replicas;
  /// `max_replicas` (integer >= 1, optional): never load the model on more backends than this (lifecycle).
  std::optional<std::uint32_t> max_replicas;
  /// `pinned` (bool, default false): Corral never evicts the model to make room for another.
  bool pinned = false;
  /// `prewarm` (bool, default false): load at start and keep loaded; /readyz waits for it.
  bool prewarm = false;
  /// `keep_alive` (duration, optional): keep_alive Corral uses when it loads the model itself; a negative
  /// value (`-1s`) means forever, as in Ollama. Never rewrites the clients' own keep_alive.
  std::optional<Duration> keep_alive;
  /// `auto_pull` (bool, default false): when no eligible backend of the pool has the model on disk, pull it
  /// to one backend (most free VRAM, then least loaded) before the request is placed there; one pull per
  /// model at a time, concurrent requests wait for it (docs/models.md, "Auto-pull").
  bool auto_pull = false;
};

/// `admin`: the operator's listener (metrics, health, status page, reload; drain is SIGTERM).
struct AdminConfig {
  /// `admin.listen` (HOST:PORT, default empty = no admin listener): when set, /metrics lives there only and
  /// the admin calls need no key there (on the public listener they need an admin API key); it also proxies
  /// every Ollama route without keys or limits (docs/gateway.md, "Listeners and keys").
  std::string listen;
  /// `admin.tls` (optional): TLS termination on the admin listener (docs/security.md).
  config::TlsConfig tls;
};

/// `queue`: each pool's bounded FIFO of requests waiting for a backend slot.
struct QueueConfig {
  /// `queue.max_length` (integer, default 256; 0 = never queue): waiting requests per pool; more -> 503.
  std::uint32_t max_length = 256;
  /// `queue.timeout` (duration > 0, default 30s): longest wait for a slot; then 503 with Retry-After.
  Duration timeout = std::chrono::seconds(30);
};

/// `health`: active checks, one probe per backend per interval (defaults are the seed HAProxy's).
struct HealthConfig {
  /// `health.path` (string starting with `/`, default `/api/tags`): GET target; any 2xx passes.
  std::string path = "/api/tags";
  /// `health.interval` (duration > 0, default 5s): time between probes of one backend.
  Duration interval = std::chrono::seconds(5);
  /// `health.timeout` (duration > 0, default 2s): a probe slower than this fails.
  Duration timeout = std::chrono::seconds(2);
  /// `health.fall` (integer >= 1, default 3): consecutive failed probes that mark a healthy backend down.
  std::uint32_t fall = 3;
  /// `health.rise` (integer >= 1, default 2): consecutive passed probes that bring a down backend back.
  std::uint32_t rise = 2;
  /// `health.start_healthy` (bool, default true): a backend counts as healthy before its first probe
  /// (HAProxy's behaviour); false = unknown and ineligible until the first probe decides either way.
  bool start_healthy = true;
};

/// `retry_budget`: caps retries so a dying fleet is not stormed (Envoy/Finagle style).
struct RetryBudgetConfig {
  /// `retry_budget.ratio` (number 0..1, default 0.2): retries allowed as a fraction of requests in the window.
  double ratio = 0.2;
  /// `retry_budget.min_per_second` (integer, default 3): retries always allowed per second, whatever the ratio.
  std::uint32_t min_per_second = 3;
  /// `retry_budget.window` (duration > 0, default 10s): the sliding window the ratio is measured over.
  Duration window = std::chrono::seconds(10);
};

/// `affinity`: session stickiness; a key seen again within `ttl` goes to the same backend while it is
/// healthy and in the model's pool.
struct AffinityConfig {
  /// `affinity.header` (string, default empty): request header whose value is the session key.
  std::string header;
  /// `affinity.client_ip` (bool, default false): use the client address when the header is absent or unset.
  bool client_ip = false;
  /// `affinity.ttl` (duration > 0, default 30m): how long an idle session stays sticky.
  Duration ttl = std::chrono::minutes(30);
};

/// `limits`: request size caps (oversized body -> 413, oversized head -> 431).
struct LimitsConfig {
  /// `limits.max_body` (size, default 64MiB): request body bytes; fits base64 images.
  std::uint64_t max_body = 64ULL * 1024 * 1024;
  /// `limits.max_header` (size, default 16KiB): the whole request head (request line + header fields).
  std::uint64_t max_header = 16ULL * 1024;
  /// `limits.max_headers` (integer >= 1, default 100): header fields per request.
  std::uint32_t max_headers = 100;
  /// `limits.max_uri` (size, default 8KiB): request-target bytes (-> 414).
  std::uint64_t max_uri = 8ULL * 1024;
  /// `limits.max_connections` (integer, default 0 = unlimited): open client connections per listener; more
  /// are closed at accept.
  std::uint32_t max_connections = 0;
  /// `limits.max_connections_per_ip` (integer, default 0 = unlimited): open client connections per peer
  /// address (the socket address: X-Forwarded-For is not known at accept); more are closed at accept.
  std::uint32_t max_connections_per_ip = 0;
};

/// `timeouts`: one per phase; no total request timeout, so long generations are never cut.
struct TimeoutsConfig {
  /// `timeouts.connect` (duration > 0, default 5s): TCP (+TLS) connect to a backend.
  Duration connect = std::chrono::seconds(5);
  /// `timeouts.first_byte` (duration > 0, default 300s): request sent -> response head; includes model load.
  Duration first_byte = std::chrono::seconds(300);
  /// `timeouts.stream_idle` (duration > 0, default 300s): longest silence between two body chunks (seed NGINX
  /// proxy_read_timeout 300s).
  Duration stream_idle = std::chrono::seconds(300);
  /// `timeouts.pull` (duration > 0, default 1h): a model pull sent -> its answer, in place of first_byte
  /// (management /api/pull and auto-pull). Ollama answers a `stream:false` pull only once the model is in,
  /// so there it bounds the whole pull; a streamed pull answers at once and is then bounded by stream_idle
  /// between progress lines, however long it runs.
  Duration pull = std::chrono::hours(1);
  /// `timeouts.client_header` (duration > 0, default 10s): reading a request head once it started.
  Duration client_header = std::chrono::seconds(10);
  /// `timeouts.client_body` (duration > 0, default 60s): longest silence while reading a request body.
  Duration client_body = std::chrono::seconds(60);
  /// `timeouts.keepalive_idle` (duration > 0, default 60s): an idle client connection between requests.
  Duration keepalive_idle = std::chrono::seconds(60);
  /// `timeouts.upstream_idle` (duration > 0, default 30s): a pooled connection to a backend unused this long
  /// is closed. Below the 60 s idle timeouts common between a gateway and a worker (nginx's upstream
  /// keepalive_timeout, cloud load balancers), so the gateway closes first instead of racing the peer's
  /// close; Ollama itself never closes an idle connection, and each one holds a socket and a goroutine there.
  Duration upstream_idle = std::chrono::seconds(30);
  /// `timeouts.drain` (duration >= 0, default 30s): on SIGTERM, how long in-flight requests may finish.
  Duration drain = std::chrono::seconds(30);
};

/// `outlier`: passive ejection from the data path's results (Envoy's consecutive gateway failures).
struct OutlierConfig {
  /// `outlier.consecutive_failures` (integer, default 5; 0 = off): connect failures, timeouts and 5xx answers
  /// (not Ollama's 503 busy answer) in a row that eject a backend.
  std::uint32_t consecutive_failures = 5;
  /// `outlier.base_ejection` (duration > 0, default 30s): first ejection length; the n-th lasts n x this.
  Duration base_ejection = std::chrono::seconds(30);
  /// `outlier.max_ejection` (duration >= base_ejection, default 300s): cap on one ejection's length.
  Duration max_ejection = std::chrono::seconds(300);
  /// `outlier.max_ejection_percent` (integer 0..100, default 50): never eject more than this share of a pool
  /// (so a one-backend pool at 50% is never ejected; active health checks still mark it down).
  std::uint32_t max_ejection_percent = 50;
};

/// `placement`: how model_aware places models on backends (docs/models.md).
struct PlacementConfig {
  /// `placement.load_rate` (size per second, default 2GB): first guess of load speed; a model's load estimate
  /// is its size / this rate until an observed load_duration refines it.
  std::uint64_t load_rate = 2'000'000'000;
  /// `placement.replicate_queue_depth` (integer, default 10): requests for one model waiting in its pool
  /// beyond which one more backend loads it (while under max_replicas).
  std::uint32_t replicate_queue_depth = 10;
  /// `placement.min_residency` (duration, default 30s): a freshly loaded model is not evicted for this long.
  Duration min_residency = std::chrono::seconds(30);
  /// `placement.max_pass_over` (duration, default 10s): a request waiting this long for a warm backend may
  /// start a load elsewhere and evict fresh models (no request is passed over forever).
  Duration max_pass_over = std::chrono::seconds(10);
};

/// The whole file.
struct Config {
  /// Where this configuration came from (file path, or "<quick>"); not a YAML key.
  std::string source;
  /// `listen` (HOST:PORT, default 127.0.0.1:11434): the client-facing listener; port 0 = any free port.
  std::string listen = "127.0.0.1:11434";
  /// `threads` (integer, default 0 = one per CPU core): worker threads, each with its own io_context.
  std::uint32_t threads = 0;
  /// `admin`: see AdminConfig.
  AdminConfig admin;
  /// `access_log`: see config::AccessLogConfig.
  config::AccessLogConfig access_log;
  /// `pools` (list, at least one): see PoolConfig.
  std::vector<PoolConfig> pools;
  /// `models` (list, default empty): model -> pool rules, first match wins; see ModelRoute.
  std::vector<ModelRoute> models;
  /// `default_pool` (string): pool for models no rule matches. Optional when there is exactly one pool
  /// (then it is that pool) or when a rule matches everything (`match: "*"`); an error otherwise.
  std::string default_pool;
  /// `queue`: see QueueConfig.
  QueueConfig queue;
  /// `health`: see HealthConfig.
  HealthConfig health;
  /// `retries` (integer, default 2): extra attempts on other backends for a failure before the first byte.
  std::uint32_t retries = 2;
  /// `retry_budget`: see RetryBudgetConfig.
  RetryBudgetConfig retry_budget;
  /// `affinity` (optional; absent = no stickiness): see AffinityConfig.
  std::optional<AffinityConfig> affinity;
  /// `limits`: see LimitsConfig.
  LimitsConfig limits;
  /// `timeouts`: see TimeoutsConfig.
  TimeoutsConfig timeouts;
  /// `outlier`: see OutlierConfig.
  OutlierConfig outlier;
  /// `models_poll_interval` (duration > 0, default 2s): how often each backend's /api/tags and /api/ps are read.
  Duration models_poll_interval = std::chrono::seconds(2);
  /// `placement`: see PlacementConfig.
  PlacementConfig placement;
  /// `tls` (optional): TLS termination on the public listener (docs/security.md).
  config::TlsConfig tls;
  /// `auth` (optional): API keys; see config::AuthConfig and docs/security.md.
  config::AuthConfig auth;
  /// `rate_limits` (optional): per client address; see config::RateLimitConfig.
  config::RateLimitConfig rate_limits;
  /// `trusted_proxies` (list of CIDRs, default empty): peers whose X-Forwarded-For is believed.
  config::TrustedProxyConfig trusted_proxies;
  /// `redis` (optional; absent = state is local): see config::RedisConfig.
  std::optional<config::RedisConfig> redis;

  /// Index into `pools` of the pool named `name`, or nullopt.
  [[nodiscard]] std::optional<std::size_t> pool_index(std::string_view name) const;
};

}  // namespace corral::config
