#include "metrics/corral_metrics.hpp"

#include <algorithm>
#include <stdexcept>

#include "metrics/prometheus_text.hpp"

namespace corral::metrics {

namespace {

// Bucket bounds, in the metric's unit. Each list covers what an operator alerts on: the
// load-duration list has 5 s exactly because the p99 > 5 s alert compares against it.
constexpr double kRequestSeconds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600};
constexpr double kTtftSeconds[] = {0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 3, 5, 10, 30};
constexpr double kLoadSeconds[] = {0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120};
constexpr double kTokensPerSecond[] = {1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500};
constexpr double kQueueSeconds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

using enum MetricType;
using enum Exporter;

// THE list. Names from the seeds are kept verbatim so their dashboards, alerts and HPA rules
// work unchanged; the rest follow the same families (ollama_gateway_* for the gateway's own
// view, ollama_* per backend, ollama_worker_* from the GPU agent).
const MetricDef kMetrics[] = {
    // --- from the seeds -------------------------------------------------------------------
    {"ollama_gateway_requests_total", counter, gateway, "model,status",
     "Requests answered by the gateway, by model and HTTP status sent (499: client went away)."},
    {"ollama_request_duration_seconds", histogram, gateway, "model",
     "Time from request head to last response byte, by model.", kRequestSeconds},
    {"ollama_active_requests", gauge, gateway, "backend", "Requests in flight to each backend."},
    {"ollama_model_load_duration_seconds", histogram, gateway, "model,backend",
     "Model load time (cold loads seen in responses and loads Corral started), by model and backend.", kLoadSeconds},
    {"ollama_gateway_active_models", gauge, gateway, "", "Model instances loaded across all workers."},
    {"ai_request_queue_depth", gauge, gateway, "pool",
     "Requests waiting in Corral's admission queue, by pool (the autoscaling signal)."},
    {"ollama_worker_queue_depth", gauge, gateway, "backend",
     "Requests at a backend beyond its parallel slots (queued inside Ollama), as the gateway sees it."},
    // --- the gateway's own additions ------------------------------------------------------
    {"ollama_time_to_first_token_seconds", histogram, gateway, "model",
     "Time from request head to the first generated token relayed to the client, by model.", kTtftSeconds},
    {"ollama_tokens_per_second", histogram, gateway, "model",
     "Generation speed per request (eval_count / eval_duration), by model.", kTokensPerSecond},
    {"ollama_prompt_tokens_total", counter, gateway, "model", "Prompt tokens evaluated, by model."},
    {"ollama_completion_tokens_total", counter, gateway, "model", "Completion tokens generated, by model."},
    {"ollama_backend_requests_total", counter, gateway, "backend", "Requests served by each backend."},
    {"ollama_gateway_retries_total", counter, gateway, "backend",
     "Requests retried on another backend, by the backend that failed."},
    {"ollama_backend_ejections_total", counter, gateway, "backend", "Passive ejections (outlier detection) of a backend."},
    {"ollama_backend_up", gauge, gateway, "backend", "1 when the backend passes health checks and is not ejected, else 0."},
    {"ollama_gateway_warm_hits_total", counter, gateway, "model",
     "Requests placed on a backend that already had the model loaded."},
    {"ollama_gateway_cold_loads_total", counter, gateway, "model", "Requests that had to load their model first."},
    {"ollama_gateway_queue_wait_seconds", histogram, gateway, "pool",
     "Time requests spent in the admission queue before getting a backend slot, by pool.", kQueueSeconds},
    {"ollama_gateway_queue_rejections_total", counter, gateway, "pool,reason",
     "Requests that left the admission queue without a slot (reason: full, timeout, client_gone)."},
    {"ollama_gateway_received_bytes_total", counter, gateway, "", "Request body bytes received from clients."},
    {"ollama_gateway_sent_bytes_total", counter, gateway, "", "Response body bytes sent to clients."},
    {"ollama_gateway_config_reloads_total", counter, gateway, "result",
     "Configuration reloads (result: success, failure)."},
    {"ollama_gateway_internal_errors_total", counter, gateway, "", "Internal errors (bugs caught and survived)."},
    {"ollama_gateway_redis_up", gauge, gateway, "", "1 when the shared-state Redis is connected, else 0."},
    {"ollama_gateway_redis_errors_total", counter, gateway, "",
     "Failed Redis operations (error replies, timeouts, lost or failed connections)."},
    {"ollama_gateway_redis_fail_open_total", counter, gateway, "",
     "Rate-limit decisions made by the local fallback while Redis could not answer (fail open)."},
    {"ollama_gateway_rate_limited_total", counter, gateway, "scope,kind",
     "Requests refused with 429, by the bucket that refused (scope: key, ip; kind: requests, tokens)."},
    {"ollama_model_loading_seconds", gauge, gateway, "model,backend",
     "Seconds a model load Corral knows of has been under way on a backend (0: not loading now)."},
    {"ollama_model_load_remaining_seconds", gauge, gateway, "model,backend",
     "Expected seconds until a model load under way finishes (learned load time minus time spent; 0 when "
     "overdue or not loading)."},
    {"ollama_gateway_recommended_workers", gauge, gateway, "pool",
     "Workers the scale advisor recommends for each pool (see docs/observability.md)."},
    // --- corral agent (one per GPU worker) ------------------------------------------------
    {"ollama_worker_vram_used_bytes", gauge, agent, "gpu,name", "VRAM in use on each GPU (NVML)."},
    {"ollama_worker_vram_free_bytes", gauge, agent, "gpu,name", "VRAM free on each GPU (NVML)."},
    {"ollama_worker_vram_total_bytes", gauge, agent, "gpu,name", "VRAM installed on each GPU (NVML)."},
    {"ollama_worker_gpu_utilization_pct", gauge, agent, "gpu,name",
     "Percent of the last sample period during which the GPU was busy (NVML)."},
    {"ollama_worker_gpus", gauge, agent, "", "GPUs NVML reports on this worker."},
    {"ollama_worker_nvml_up", gauge, agent, "", "1 when the last NVML read succeeded, else 0."},
    {"ollama_worker_ollama_up", gauge, agent, "", "1 when the local Ollama answered /api/ps, else 0."},
    {"ollama_worker_loaded_models", gauge, agent, "", "Models the local Ollama has loaded (/api/ps)."},
    {"ollama_worker_model_vram_bytes", gauge, agent, "model", "VRAM held by each loaded model (/api/ps size_vram)."},
};

// Label values of the status label, indexed by status_slot().
constexpr std::string_view kStatusLabels[] = {"200", "204", "400", "401", "403", "404", "405", "408",
                                              "413", "429", "431", "499", "500", "501", "502", "503",
                                              "504", "2xx", "3xx", "4xx", "5xx", "other"};
static_assert(std::size(kStatusLabels) <= CorralMetrics::kStatusSlots);

constexpr std::string_view kRejectionLabels[] = {"full", "timeout", "client_gone"};

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

std::vector<std::string> MetricDef::label_names() const {
  std::vector<std::string> out;
  std::string_view rest = labels;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    out.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::span<const MetricDef> all_metric_defs() { return kMetrics; }

const MetricDef* find_metric_def(std::string_view name) {
  for (const auto& d : kMetrics) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool is_exported_series_name(std::string_view name) {
  if (find_metric_def(name)) return true;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      const auto* d = find_metric_def(name.substr(0, name.size() - suffix.size()));
      if (d && d->type == MetricType::histogram) return true;
    }
  }
  return false;
}

Family& add_family(Registry& registry, const MetricDef& def) {
  return registry.add(std::string(def.name), std::string(def.help), def.type, def.label_names(), def.buckets);
}

Family& add_family(Registry& registry, std::string_view name) {
  const auto* d = find_metric_def(name);
  if (!d) throw std::logic_error("metric not in corral_metrics: " + std::string(name));
  return add_family(registry, *d);
}

// Pre-resolved handles for one label value of each dimension.
struct CorralMetrics::ModelSeries {
  std::array<Counter*, kStatusSlots> requests{};
  Histogram* duration;
  Histogram* ttft;
  Histogram* tps;
  Counter* prompt_tokens;
  Counter* completion_tokens;
  Counter* warm;
  Counter* cold;
  std::string name;
};
struct CorralMetrics::BackendSeries {
  Gauge* active;
  Gauge* up;
  Gauge* worker_queue;
  Counter* requests;
  Counter* retries;
  Counter* ejections;
  std::string name;
};
struct CorralMetrics::PoolSeries {
  Gauge* queue_depth;
  Histogram* queue_wait;
  std::array<Counter*, 3> rejections;
  Gauge* recommended;
};

CorralMetrics::CorralMetrics() : CorralMetrics(Options{}) {}

CorralMetrics::CorralMetrics(Options o)
    : models_(o.model_cap),
      window_(o.window_bucket, o.window_slots),
      model_table_(new std::atomic<const ModelSeries*>[models_.max_ids()]),
      backend_table_(new std::atomic<const BackendSeries*>[kMaxBackends]),
      pool_table_(new std::atomic<const PoolSeries*>[kMaxPools]) {
  for (std::size_t i = 0; i < models_.max_ids(); ++i) model_table_[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kMaxBackends; ++i) backend_table_[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kMaxPools; ++i) pool_table_[i].store(nullptr, std::memory_order_relaxed);

  auto fam = [&](std::string_view name) { return &add_family(registry_, name); };
  requests_ = fam("ollama_gateway_requests_total");
  duration_ = fam("ollama_request_duration_seconds");
  active_requests_ = fam("ollama_active_requests");
  load_duration_ = fam("ollama_model_load_duration_seconds");
  active_models_ = fam("ollama_gateway_active_models");
  pool_queue_ = fam("ai_request_queue_depth");
  worker_queue_ = fam("ollama_worker_queue_depth");
  ttft_ = fam("ollama_time_to_first_token_seconds");
  tps_ = fam("ollama_tokens_per_second");
  prompt_tokens_ = fam("ollama_prompt_tokens_total");
  completion_tokens_ = fam("ollama_completion_tokens_total");
  backend_requests_ = fam("ollama_backend_requests_total");
  retries_ = fam("ollama_gateway_retries_total");
  ejections_ = fam("ollama_backend_ejections_total");
  backend_up_ = fam("ollama_backend_up");
  warm_hits_ = fam("ollama_gateway_warm_hits_total");
  cold_loads_ = fam("ollama_gateway_cold_loads_total");
  queue_wait_ = fam("ollama_gateway_queue_wait_seconds");
  queue_rejections_ = fam("ollama_gateway_queue_rejections_total");
  bytes_in_ = fam("ollama_gateway_received_bytes_total");
  bytes_out_ = fam("ollama_gateway_sent_bytes_total");
  config_reloads_ = fam("ollama_gateway_config_reloads_total");
  internal_errors_ = fam("ollama_gateway_internal_errors_total");
  redis_up_ = fam("ollama_gateway_redis_up");
  redis_errors_ = fam("ollama_gateway_redis_errors_total");
  recommended_workers_ = fam("ollama_gateway_recommended_workers");
  loading_ = fam("ollama_model_loading_seconds");
  load_remaining_ = fam("ollama_model_load_remaining_seconds");
  rate_limited_ = fam("ollama_gateway_rate_limited_total");
  redis_fail_open_ = fam("ollama_gateway_redis_fail_open_total");

  bytes_in_total_ = &bytes_in_->counter({});
  bytes_out_total_ = &bytes_out_->counter({});
  active_models_gauge_ = &active_models_->gauge({});
  reload_ok_ = &config_reloads_->counter({"success"});
  reload_failed_ = &config_reloads_->counter({"failure"});
  internal_errors_total_ = &internal_errors_->counter({});
  redis_up_gauge_ = &redis_up_->gauge({});
  redis_errors_total_ = &redis_errors_->counter({});
  rate_limited_key_requests_ = &rate_limited_->counter({"key", "requests"});
  rate_limited_key_tokens_ = &rate_limited_->counter({"key", "tokens"});
  rate_limited_ip_requests_ = &rate_limited_->counter({"ip", "requests"});
  redis_fail_open_total_ = &redis_fail_open_->counter({});

  // The two reserved ids exist from the start.
  make_model_series(ModelInterner::kOther, "other");
  make_model_series(ModelInterner::kNone, "none");
}

CorralMetrics::~CorralMetrics() = default;

void CorralMetrics::make_model_series(ModelId id, const std::string& name) {
  std::lock_guard lock(control_mutex_);
  auto& s = model_store_.emplace_back();
  s.name = name;
  for (std::size_t i = 0; i < std::size(kStatusLabels); ++i) {
    // One series per possible status, hidden until used: resolving them now keeps the
    // request path free of lookups, hiding them keeps the exposition readable.
    s.requests[i] = &requests_->counter({name, std::string(kStatusLabels[i])}, true);
  }
  s.duration = &duration_->histogram({name});
  s.ttft = &ttft_->histogram({name});
  s.tps = &tps_->histogram({name});
  s.prompt_tokens = &prompt_tokens_->counter({name});
  s.completion_tokens = &completion_tokens_->counter({name});
  s.warm = &warm_hits_->counter({name});
  s.cold = &cold_loads_->counter({name});
  model_table_[id].store(&s, std::memory_order_release);
}

ModelId CorralMetrics::model_id(std::string_view name) {
  if (auto id = models_.find(name)) return *id;
  return models_.intern(name, [this](ModelId id, const std::string& n) { make_model_series(id, n); });
}

void CorralMetrics::add_configured_models(std::span<const std::string> names) {
  for (const auto& n : names) {
    models_.intern_configured(n, [this](ModelId id, const std::string& nm) { make_model_series(id, nm); });
  }
}

BackendId CorralMetrics::backend_id(std::string_view name) {
  std::lock_guard lock(control_mutex_);
  for (std::size_t i = 0; i < backend_names_.size(); ++i) {
    if (backend_names_[i] == name) {
      const auto& s = backend_store_[i];
      const std::vector<std::string> v{s.name};
      for (auto* f : {active_requests_, backend_up_, worker_queue_, backend_requests_, retries_, ejections_}) {
        f->set_visible(v, true);
      }
      return static_cast<BackendId>(i);
    }
  }
  if (backend_names_.size() >= kMaxBackends) return kNoBackend;
  const std::vector<std::string> v{std::string(name)};
  auto& s = backend_store_.emplace_back();
  s.name = std::string(name);
  s.active = &active_requests_->gauge(v);
  s.up = &backend_up_->gauge(v);
  s.worker_queue = &worker_queue_->gauge(v);
  s.requests = &backend_requests_->counter(v);
  s.retries = &retries_->counter(v);
  s.ejections = &ejections_->counter(v);
  const auto id = static_cast<BackendId>(backend_names_.size());
  backend_names_.emplace_back(name);
  backend_table_[id].store(&s, std::memory_order_release);
  return id;
}

PoolId CorralMetrics::pool_id(std::string_view name) {
  std::lock_guard lock(control_mutex_);
  for (std::size_t i = 0; i < pool_names_.size(); ++i) {
    if (pool_names_[i] == name) return static_cast<PoolId>(i);
  }
  if (pool_names_.size() >= kMaxPools) return kNoPool;
  const std::string n(name);
  auto& s = pool_store_.emplace_back();
  s.queue_depth = &pool_queue_->gauge({n});
  s.queue_wait = &queue_wait_->histogram({n});
  for (std::size_t i = 0; i < s.rejections.size(); ++i) {
    s.rejections[i] = &queue_rejections_->counter({n, std::string(kRejectionLabels[i])});
  }
  s.recommended = &recommended_workers_->gauge({n});
  const auto id = static_cast<PoolId>(pool_names_.size());
  pool_names_.push_back(n);
  pool_table_[id].store(&s, std::memory_order_release);
  return id;
}

void CorralMetrics::set_backend_visible(BackendId id, bool visible) {
  std::lock_guard lock(control_mutex_);
  if (id >= backend_names_.size()) return;
  const std::vector<std::string> v{backend_names_[id]};
  for (auto* f : {active_requests_, backend_up_, worker_queue_, backend_requests_, retries_, ejections_}) {
    f->set_visible(v, visible);
  }
}

void CorralMetrics::set_pool_visible(PoolId id, bool visible) {
  std::lock_guard lock(control_mutex_);
  if (id >= pool_names_.size()) return;
  const auto& n = pool_names_[id];
  for (auto* f : {pool_queue_, queue_wait_, recommended_workers_}) f->set_visible({n}, visible);
  for (auto r : kRejectionLabels) queue_rejections_->set_visible({n, std::string(r)}, visible);
}

const CorralMetrics::ModelSeries* CorralMetrics::model(ModelId id) const noexcept {
  const ModelSeries* s = id < models_.max_ids() ? model_table_[id].load(std::memory_order_acquire) : nullptr;
  return s ? s : model_table_[ModelInterner::kOther].load(std::memory_order_acquire);
}

const CorralMetrics::BackendSeries* CorralMetrics::backend(BackendId id) const noexcept {
  return id < kMaxBackends ? backend_table_[id].load(std::memory_order_acquire) : nullptr;
}

const CorralMetrics::PoolSeries* CorralMetrics::pool(PoolId id) const noexcept {
  return id < kMaxPools ? pool_table_[id].load(std::memory_order_acquire) : nullptr;
}

std::size_t CorralMetrics::status_slot(int status) noexcept {
  // Exact codes first (the order of kStatusLabels), then the class, then "other".
  static constexpr int kCodes[] = {200, 204, 400, 401, 403, 404, 405, 408, 413,
                                   429, 431, 499, 500, 501, 502, 503, 504};
  for (std::size_t i = 0; i < std::size(kCodes); ++i) {
    if (kCodes[i] == status) return i;
  }
  if (status >= 200 && status < 600) return std::size(kCodes) + static_cast<std::size_t>(status / 100 - 2);
  return std::size(kStatusLabels) - 1;
}

std::string_view CorralMetrics::status_label(std::size_t slot) noexcept {
  return slot < std::size(kStatusLabels) ? kStatusLabels[slot] : "other";
}

void CorralMetrics::record_request(const RequestRecord& r) noexcept {
  record_request(r, WindowStats::Clock::now());
}

void CorralMetrics::record_request(const RequestRecord& r, WindowStats::Clock::time_point now) noexcept {
  const ModelSeries* m = model(r.model);
  m->requests[status_slot(r.status)]->inc();
  m->duration->observe(seconds(r.duration));
  if (r.time_to_first_token) m->ttft->observe(seconds(*r.time_to_first_token));
  if (r.prompt_tokens) m->prompt_tokens->inc(r.prompt_tokens);
  if (r.completion_tokens) {
    m->completion_tokens->inc(r.completion_tokens);
    // Prefer Ollama's own eval_duration; else the relay time after the first token.
    std::optional<std::chrono::nanoseconds> gen = r.eval_duration;
    if (!gen && r.time_to_first_token && r.duration > *r.time_to_first_token) gen = r.duration - *r.time_to_first_token;
    if (gen && gen->count() > 0) m->tps->observe(static_cast<double>(r.completion_tokens) / seconds(*gen));
  }
  if (r.placement == Placement::warm) m->warm->inc();
  if (r.placement == Placement::cold) m->cold->inc();
  bytes_in_total_->inc(r.bytes_in);
  bytes_out_total_->inc(r.bytes_out);
  if (const auto* b = backend(r.backend)) {
    b->requests->inc();
    if (r.placement == Placement::cold && r.load_duration) {
      try {
        record_model_load(r.model, r.backend, *r.load_duration);
      } catch (...) {
        // Allocation failure while creating the series: drop the sample, never the request.
      }
    }
  }
  if (const auto* p = pool(r.pool); p && r.queue_wait) p->queue_wait->observe(seconds(*r.queue_wait));
  const bool error = r.status >= 500 || r.status == 499;
  window_.record(now, error, r.time_to_first_token);
}

void CorralMetrics::record_model_load(ModelId m, BackendId b, std::chrono::nanoseconds d) {
  const auto* bs = backend(b);
  if (!bs) return;
  const ModelSeries* ms = model(m);
  // Rare (one per model load), so the family's creation lock is acceptable here.
  load_duration_->histogram({ms->name, bs->name}).observe(seconds(d));
}

void CorralMetrics::backend_request_started(BackendId b) noexcept {
  if (const auto* s = backend(b)) s->active->inc();
}
void CorralMetrics::backend_request_finished(BackendId b) noexcept {
  if (const auto* s = backend(b)) s->active->dec();
}
void CorralMetrics::set_active_requests(BackendId b, double n) noexcept {
  if (const auto* s = backend(b)) s->active->set(n);
}
void CorralMetrics::set_backend_up(BackendId b, bool up) noexcept {
  if (const auto* s = backend(b)) s->up->set(up ? 1 : 0);
}
void CorralMetrics::set_worker_queue_depth(BackendId b, double depth) noexcept {
  if (const auto* s = backend(b)) s->worker_queue->set(depth);
}
void CorralMetrics::set_pool_queue_depth(PoolId p, double depth) noexcept {
  if (const auto* s = pool(p)) s->queue_depth->set(depth);
}
void CorralMetrics::add_pool_queue_depth(PoolId p, double delta) noexcept {
  if (const auto* s = pool(p)) s->queue_depth->add(delta);
}
void CorralMetrics::set_recommended_workers(PoolId p, double workers) noexcept {
  if (const auto* s = pool(p)) s->recommended->set(workers);
}
void CorralMetrics::record_retry(BackendId failed) noexcept {
  if (const auto* s = backend(failed)) s->retries->inc();
}
void CorralMetrics::record_ejection(BackendId b) noexcept {
  if (const auto* s = backend(b)) s->ejections->inc();
}
void CorralMetrics::record_queue_rejection(PoolId p, QueueRejection why) noexcept {
  if (const auto* s = pool(p)) s->rejections[static_cast<std::size_t>(why)]->inc();
}
void CorralMetrics::set_active_models(double n) noexcept { active_models_gauge_->set(n); }

void CorralMetrics::begin_model_loads() {
  std::lock_guard lock(control_mutex_);
  for (Gauge* g : load_gauges_) g->set(0);
}

void CorralMetrics::set_model_load(ModelId m, BackendId b, double elapsed_s, double remaining_s) {
  const auto* bs = backend(b);
  const ModelSeries* ms = model(m);
  if (!bs || !ms) return;
  std::lock_guard lock(control_mutex_);
  // Series are created on a model's first load on a backend and stay (at 0) afterwards, so a scrape
  // never sees one vanish mid-load; models beyond the cap share "other" like every model label.
  for (auto [family, value] : {std::pair{loading_, elapsed_s}, std::pair{load_remaining_, remaining_s}}) {
    Gauge& g = family->gauge({ms->name, bs->name});
    if (std::find(load_gauges_.begin(), load_gauges_.end(), &g) == load_gauges_.end()) load_gauges_.push_back(&g);
    g.set(value);
  }
}
void CorralMetrics::record_config_reload(bool ok) noexcept { (ok ? reload_ok_ : reload_failed_)->inc(); }
void CorralMetrics::record_internal_error() noexcept { internal_errors_total_->inc(); }
void CorralMetrics::set_redis_up(bool up) noexcept { redis_up_gauge_->set(up ? 1 : 0); }
void CorralMetrics::record_redis_error() noexcept { redis_errors_total_->inc(); }
void CorralMetrics::set_admission_totals(const AdmissionTotals& t) noexcept {
  rate_limited_key_requests_->advance_to(t.key_requests);
  rate_limited_key_tokens_->advance_to(t.key_tokens);
  rate_limited_ip_requests_->advance_to(t.ip_requests);
  if (!t.redis_configured) return;
  set_redis_up(t.redis_up);
  redis_errors_total_->advance_to(t.redis_errors);
  redis_fail_open_total_->advance_to(t.redis_fail_open);
}

std::string CorralMetrics::prometheus_text() const { return metrics::prometheus_text(registry_); }

}  // namespace corral::metrics
