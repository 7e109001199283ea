// CorralMetrics: THE list of metrics Corral exports (corral_metrics.cpp holds the table;
// docs/observability.md mirrors it and a test keeps them in step) and the gateway-side
// recording API.
//
// Label sets are resolved to ids up front: backends and pools when the configuration is
// (re)loaded, models when the router first sees a name (ModelInterner, capped). Each id
// indexes an array of pre-built series handles, so the calls made per request are a few
// relaxed atomic adds with no hashing, allocation or lock. The only lock on a request's path
// is the (model, backend) lookup of ollama_model_load_duration_seconds, taken only for a
// request that caused a cold load (each of which costs seconds anyway).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric_def.hpp"
#include "metrics/model_interner.hpp"
#include "metrics/registry.hpp"
#include "metrics/window_stats.hpp"

namespace corral::metrics {

using BackendId = std::uint16_t;
using PoolId = std::uint16_t;
inline constexpr BackendId kNoBackend = UINT16_MAX;
inline constexpr PoolId kNoPool = UINT16_MAX;

enum class Placement : std::uint8_t { none, warm, cold };
enum class QueueRejection : std::uint8_t { full, timeout, client_gone };
/// Labels of ollama_gateway_rate_limited_total: whose bucket refused (`key` or `ip`) and which kind.
enum class RateScope : std::uint8_t { key, ip };
enum class RateKind : std::uint8_t { requests, tokens };

/// Totals counted outside the metrics (by the rate limiter and the shared store), mirrored at scrape.
struct AdmissionTotals {
  std::uint64_t key_requests = 0;  ///< 429s from an API key's requests bucket
  std::uint64_t key_tokens = 0;    ///< 429s from an API key's tokens_per_minute bucket
  std::uint64_t ip_requests = 0;   ///< 429s from a client address's requests bucket
  bool redis_configured = false;   ///< false: the redis fields are ignored
  bool redis_up = false;
  std::uint64_t redis_errors = 0;     ///< failed Redis operations (error replies, timeouts, lost connections)
  std::uint64_t redis_fail_open = 0;  ///< decisions let through by the local fallback (fail open)
};

/// Everything the gateway knows about one finished request (proxy step 9, "account").
struct RequestRecord {
  ModelId model = ModelInterner::kNone;  // from CorralMetrics::model_id(); kNone when no model
  int status = 200;                      // status sent to the client; 499 when the client left
  BackendId backend = kNoBackend;        // backend that served it (the last one tried)
  PoolId pool = kNoPool;
  std::chrono::nanoseconds duration{0};  // request head read -> last response byte written
  std::optional<std::chrono::nanoseconds> queue_wait;           // time in the pool's queue, if queued
  std::optional<std::chrono::nanoseconds> time_to_first_token;  // first token byte relayed
  std::optional<std::chrono::nanoseconds> eval_duration;        // final object's eval_duration
  std::optional<std::chrono::nanoseconds> load_duration;        // final object's load_duration
  std::uint64_t prompt_tokens = 0;      // prompt_eval_count / usage.prompt_tokens
  std::uint64_t completion_tokens = 0;  // eval_count / usage.completion_tokens
  std::uint64_t bytes_in = 0;           // request body bytes from the client
  std::uint64_t bytes_out = 0;          // response body bytes to the client
  Placement placement = Placement::none;  // warm: model was resident; cold: this request loaded it
};

class CorralMetrics {
 public:
  struct Options {
    std::size_t model_cap = 100;  // models seen in traffic beyond the configured ones
    std::chrono::seconds window_bucket{10};
    std::size_t window_slots = 30;
  };
  static constexpr std::size_t kMaxBackends = 1024;
  static constexpr std::size_t kMaxPools = 256;

  CorralMetrics();
  explicit CorralMetrics(Options options);
  ~CorralMetrics();
  CorralMetrics(const CorralMetrics&) = delete;
  CorralMetrics& operator=(const CorralMetrics&) = delete;

  // ---- control plane: config load / reload --------------------------------------------
  /// Stable id for a backend name (created on first call, shown again if it was hidden);
  /// kNoBackend beyond kMaxBackends distinct names.
  BackendId backend_id(std::string_view name);
  PoolId pool_id(std::string_view name);
  /// A backend or pool removed by a reload disappears from the exposition (its id stays valid).
  void set_backend_visible(BackendId id, bool visible);
  void set_pool_visible(PoolId id, bool visible);
  /// Configured models always get their own label value, outside the cap.
  void add_configured_models(std::span<const std::string> names);

  // ---- data plane ---------------------------------------------------------------------
  /// Model id for a (normalised) name; lock-free when known, kOther beyond the cap. A new name takes
  /// one of the capped slots: callers with names from traffic check first that the fleet has the model
  /// (find_model_id, then proxy accounting's rule), so junk names cannot crowd out real ones.
  ModelId model_id(std::string_view name);
  /// The id a name already has, nullopt when none (yet). Lock-free, allocates nothing, takes no slot.
  [[nodiscard]] std::optional<ModelId> find_model_id(std::string_view name) const { return models_.find(name); }
  std::string model_name(ModelId id) const { return models_.name(id); }

  /// One call per finished request: requests, duration, TTFT, tokens/s, tokens, bytes,
  /// warm/cold, load duration, queue wait, and the status page window.
  void record_request(const RequestRecord& r) noexcept;
  void record_request(const RequestRecord& r, WindowStats::Clock::time_point now) noexcept;

  /// ollama_active_requests{backend}: +1 when a request is sent to a backend, -1 when done.
  void backend_request_started(BackendId b) noexcept;
  void backend_request_finished(BackendId b) noexcept;
  /// Sets ollama_active_requests{backend} from a counter kept elsewhere (the slot counter, at scrape).
  void set_active_requests(BackendId b, double n) noexcept;
  void set_backend_up(BackendId b, bool up) noexcept;
  /// ollama_worker_queue_depth{backend}: requests at the worker beyond its parallel slots.
  void set_worker_queue_depth(BackendId b, double depth) noexcept;
  /// ai_request_queue_depth{pool}: requests waiting in Corral's queue for the pool.
  void set_pool_queue_depth(PoolId p, double depth) noexcept;
  void add_pool_queue_depth(PoolId p, double delta) noexcept;
  void set_recommended_workers(PoolId p, double workers) noexcept;
  void record_retry(BackendId failed) noexcept;
  void record_ejection(BackendId b) noexcept;
  void record_queue_rejection(PoolId p, QueueRejection why) noexcept;
  /// A load Corral started itself (preload / pin), outside any request.
  void record_model_load(ModelId m, BackendId b, std::chrono::nanoseconds d);
  void set_active_models(double n) noexcept;
  /// Cold starts made visible (scrape time): ollama_model_loading_seconds and
  /// ollama_model_load_remaining_seconds{model,backend}. begin_model_loads() zeroes every series set
  /// before; set_model_load() then sets the loads under way now.
  void begin_model_loads();
  void set_model_load(ModelId m, BackendId b, double elapsed_s, double remaining_s);
  void record_config_reload(bool ok) noexcept;
  void record_internal_error() noexcept;
  void set_redis_up(bool up) noexcept;
  void record_redis_error() noexcept;
  /// Mirrors the rate-limit and Redis totals (scrape time; monotonic sources, so never double-counted).
  void set_admission_totals(const AdmissionTotals& t) noexcept;

  // ---- scrape side --------------------------------------------------------------------
  std::string prometheus_text() const;
  const Registry& registry() const noexcept { return registry_; }
  const WindowStats& window() const noexcept { return window_; }

  /// Index of the status label value used for `status` (exact code for the codes Corral and
  /// Ollama commonly send, else the class "2xx".."5xx"); exposed for tests.
  static std::size_t status_slot(int status) noexcept;
  static std::string_view status_label(std::size_t slot) noexcept;
  static constexpr std::size_t kStatusSlots = 24;

 private:
  struct ModelSeries;
  struct BackendSeries;
  struct PoolSeries;
  void make_model_series(ModelId id, const std::string& name);  // under models_ mutex
  const ModelSeries* model(ModelId id) const noexcept;
  const BackendSeries* backend(BackendId id) const noexcept;
  const PoolSeries* pool(PoolId id) const noexcept;

  Registry registry_;
  // Families, in the order of the table in corral_metrics.cpp.
  Family* requests_;
  Family* duration_;
  Family* active_requests_;
  Family* load_duration_;
  Family* active_models_;
  Family* pool_queue_;
  Family* worker_queue_;
  Family* ttft_;
  Family* tps_;
  Family* prompt_tokens_;
  Family* completion_tokens_;
  Family* backend_requests_;
  Family* retries_;
  Family* ejections_;
  Family* backend_up_;
  Family* warm_hits_;
  Family* cold_loads_;
  Family* queue_wait_;
  Family* queue_rejections_;
  Family* bytes_in_;
  Family* bytes_out_;
  Family* config_reloads_;
  Family* internal_errors_;
  Family* redis_up_;
  Family* redis_errors_;
  Family* recommended_workers_;
  Family* rate_limited_;
  Family* redis_fail_open_;
  Family* loading_;
  Family* load_remaining_;

  ModelInterner models_;
  WindowStats window_;

  std::mutex control_mutex_;  // backend/pool creation and (model, backend) load series
  std::vector<std::string> backend_names_;
  std::vector<std::string> pool_names_;
  std::deque<ModelSeries> model_store_;
  std::deque<BackendSeries> backend_store_;
  std::deque<PoolSeries> pool_store_;
  std::unique_ptr<std::atomic<const ModelSeries*>[]> model_table_;
  std::unique_ptr<std::atomic<const BackendSeries*>[]> backend_table_;
  std::unique_ptr<std::atomic<const PoolSeries*>[]> pool_table_;
  std::vector<Gauge*> load_gauges_;  // every loading/remaining gauge ever set (under control_mutex_)

  Counter* bytes_in_total_;
  Counter* bytes_out_total_;
  Gauge* active_models_gauge_;
  Counter* reload_ok_;
  Counter* reload_failed_;
  Counter* internal_errors_total_;
  Gauge* redis_up_gauge_;
  Counter* redis_errors_total_;
  Counter* rate_limited_key_requests_;
  Counter* rate_limited_key_tokens_;
  Counter* rate_limited_ip_requests_;
  Counter* redis_fail_open_total_;
};

}  // namespace corral::metrics
