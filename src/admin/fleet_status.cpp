#include "admin/fleet_status.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "models/loading_report.hpp"
#include "upstream/http_get.hpp"
#include "shared_state/rate_limit_counts.hpp"
#include "shared_state/shared_store.hpp"
#include "upstream/backend.hpp"

namespace corral::admin {
namespace {

namespace json = boost::json;

// /api/ps answers are read with this deadline: the page polls every second and must not hang on a
// backend that stopped answering between health checks.
constexpr std::chrono::seconds kPsTimeout{1};

std::string_view health_of(const upstream::PoolMember& m, std::int64_t now_ns) {
  if (!m.backend->healthy.load(std::memory_order_relaxed)) return "unhealthy";
  if (m.ejected_until_ns.load(std::memory_order_relaxed) > now_ns) return "ejected";
  return "healthy";
}

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(std::max<std::int64_t>(0, to_ns - from_ns)) / 1e9;
}

// Requests at a backend beyond its parallel slots: num_parallel per loaded model (at least one model,
// since a request in flight has its model loaded or loading).
std::uint32_t beyond_slots(const upstream::PoolMember& m, const config::BackendConfig* cfg) {
  const std::uint32_t in_flight = m.backend->slots->in_flight.load(std::memory_order_relaxed);
  const std::uint32_t parallel = cfg ? std::max<std::uint32_t>(cfg->num_parallel, 1) : 1;
  const auto models = static_cast<std::uint32_t>(std::max<std::size_t>(m.backend->catalog.size(), 1));
  const std::uint32_t slots = parallel * models;
  return in_flight > slots ? in_flight - slots : 0;
}

const config::BackendConfig* backend_config(const upstream::PoolState& pool, std::size_t i) {
  return i < pool.config->backends.size() ? &pool.config->backends[i] : nullptr;
}

// `models` of an /api/ps answer as the status page wants them; also sums their VRAM into `used`.
json::array loaded_models(const std::optional<std::string>& ps, std::uint64_t& used) {
  json::array out;
  if (!ps) return out;
  error_code ec;
  const json::value v = json::parse(*ps, ec);
  const auto* obj = v.if_object();
  const auto* models = obj ? obj->if_contains("models") : nullptr;
  if (ec || !models || !models->is_array()) return out;
  for (const auto& m : models->get_array()) {
    const auto* mo = m.if_object();
    if (!mo) continue;
    json::object e;
    if (const auto* n = mo->if_contains("name"); n && n->is_string()) e["name"] = n->get_string();
    if (const auto* s = mo->if_contains("size_vram"); s && s->is_number()) {
      const auto bytes = s->to_number<std::uint64_t>();
      e["vram_bytes"] = bytes;
      used += bytes;
    }
    if (const auto* x = mo->if_contains("expires_at"); x && x->is_string()) e["expires_at"] = x->get_string();
    out.push_back(std::move(e));
  }
  return out;
}

// The worker's VRAM as Corral believes it (upstream::vram_view): the agent's total, use and GPU
// utilisation while it answers, else the configured total with the use read from /api/ps just now
// (`ps_used`, when the backend was asked), else `vram_source: "unknown"` and no numbers.
void add_vram(json::object& w, const upstream::Backend& b, const config::BackendConfig* cfg,
              std::optional<std::uint64_t> ps_used) {
  const upstream::VramView v = upstream::vram_view(b, cfg);
  w["vram_source"] = upstream::to_string(v.source);
  if (v.total) w["vram_total_bytes"] = *v.total;
  if (v.source == upstream::VramSource::kAgent) {
    w["vram_used_bytes"] = *v.used;
  } else if (ps_used) {
    w["vram_used_bytes"] = *ps_used;
  }
  if (v.gpu_utilization_pct) w["gpu_utilization_pct"] = *v.gpu_utilization_pct;
  if (b.agent) w["agent"] = json::object{{"url", b.agent->url}, {"up", b.agent_reading.up()}};
}

// The rate limiter's refusals and the shared store's health, for set_admission_totals().
metrics::AdmissionTotals admission_totals(const gateway::GatewayState& gw) {
  metrics::AdmissionTotals t;
  const auto limited = shared_state::rate_limit_totals();
  t.key_requests = limited.key_requests;
  t.key_tokens = limited.key_tokens;
  t.ip_requests = limited.ip_requests;
  if (gw.shared != nullptr) {
    const auto st = gw.shared->stats();
    t.redis_configured = true;
    t.redis_up = gw.shared->connected();
    t.redis_errors = st.errors + st.timeouts + st.disconnects;
    t.redis_fail_open = st.fail_open;
  }
  return t;
}

// One worker's row: identity, health, slots, the models its /api/ps listed (`ps` is null when it was
// not asked: unhealthy at the time) and its VRAM.
json::object worker_json(const upstream::PoolState& p, std::size_t i, const std::optional<std::string>* ps,
                         std::int64_t now) {
  const auto& m = *p.members[i];
  const auto* cfg = backend_config(p, i);
  json::object w;
  w["name"] = m.backend->name;
  w["url"] = m.backend->url;
  w["pool"] = p.config->name;
  w["health"] = health_of(m, now);
  w["in_flight"] = m.backend->slots->in_flight.load(std::memory_order_relaxed);
  w["max_inflight"] = m.backend->slots->limit.load(std::memory_order_relaxed);
  w["queued"] = beyond_slots(m, cfg);
  std::uint64_t used = 0;
  w["models"] = ps != nullptr ? loaded_models(*ps, used) : json::array();
  add_vram(w, *m.backend, cfg, ps != nullptr ? std::optional<std::uint64_t>(used) : std::nullopt);
  return w;
}

json::array recent_errors_json(const observe::RecentErrors& recent) {
  json::array errors;
  for (const auto& e : recent.list()) {
    errors.push_back(json::object{{"time_unix_ms", e.time_unix_ms},
                                  {"status", e.status},
                                  {"kind", e.kind},
                                  {"model", e.model},
                                  {"backend", e.backend},
                                  {"message", e.message}});
  }
  return errors;
}

// Cold starts under way: which model loads where, for how long already, and about how long still.
json::array loading_json(const upstream::Snapshot& snap, std::int64_t now) {
  json::array loading;
  for (const models::LoadingModel& l : models::loading_models(snap, now)) {
    loading.push_back(json::object{{"pool", l.pool},
                                   {"backend", l.backend},
                                   {"model", l.model},
                                   {"loading_s", seconds_between(l.since_ns, now)},
                                   {"expected_remaining_s", static_cast<double>(l.remaining_ns) / 1e9}});
  }
  return loading;
}

}  // namespace

void refresh_gauges(gateway::GatewayState& gw) {
  const auto snap = gw.registry.current();
  const auto ids = gw.metric_ids.load();
  if (!ids || ids->generation != snap->generation) return;
  const std::int64_t now = upstream::steady_ns();
  double active_models = 0;
  for (std::size_t p = 0; p < snap->pools.size(); ++p) {
    const auto& pool = snap->pools[p];
    gw.metrics.set_pool_queue_depth(ids->pool(static_cast<std::int32_t>(p)), static_cast<double>(pool.queue->depth()));
    for (std::size_t i = 0; i < pool.members.size(); ++i) {
      const auto& m = *pool.members[i];
      const auto b = ids->backend(static_cast<std::int32_t>(p), static_cast<std::int32_t>(i));
      gw.metrics.set_backend_up(b, m.eligible(now));
      // The lease keeps the slot counter exact, so ollama_active_requests mirrors it.
      gw.metrics.set_active_requests(b, m.backend->slots->in_flight.load(std::memory_order_relaxed));
      gw.metrics.set_worker_queue_depth(b, beyond_slots(m, backend_config(pool, i)));
      active_models += static_cast<double>(m.backend->catalog.size());
    }
  }
  gw.metrics.set_active_models(active_models);
  gw.metrics.begin_model_loads();
  for (const models::LoadingModel& l : models::loading_models(*snap, now)) {
    gw.metrics.set_model_load(gw.metrics.model_id(l.model), gw.metrics.backend_id(l.backend), seconds_between(l.since_ns, now),
                              static_cast<double>(l.remaining_ns) / 1e9);
  }
  gw.metrics.set_admission_totals(admission_totals(gw));
}

net::awaitable<std::string> fleet_status_json(gateway::GatewayState& gw, upstream::ConnectionPool& pool) {
  const auto snap = gw.registry.current();
  const std::int64_t now = upstream::steady_ns();
  std::vector<std::shared_ptr<const upstream::Backend>> targets;
  std::vector<bool> asked;  // per member, in pool order: its /api/ps is in `ps` (health may change meanwhile)
  for (const auto& p : snap->pools) {
    for (const auto& m : p.members) {
      asked.push_back(m->backend->healthy.load(std::memory_order_relaxed));
      if (asked.back()) targets.push_back(m->backend);
    }
  }
  const auto ps = co_await upstream::fetch_from_all(pool, targets, "/api/ps", kPsTimeout);

  json::object root;
  const auto wall = std::chrono::system_clock::now();
  root["version"] = CORRAL_VERSION;
  root["time_unix_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  root["uptime_s"] = std::chrono::duration<double>(wall - gw.started_at).count();
  json::array workers;
  json::array pools;
  std::uint64_t total_in_flight = 0;
  std::uint64_t total_queued = 0;
  std::size_t target = 0;
  std::size_t member = 0;
  for (const auto& p : snap->pools) {
    std::uint64_t pool_in_flight = 0;
    for (std::size_t i = 0; i < p.members.size(); ++i) {
      pool_in_flight += p.members[i]->backend->slots->in_flight.load(std::memory_order_relaxed);
      workers.push_back(worker_json(p, i, asked[member++] ? &ps[target++] : nullptr, now));
    }
    const auto queued = p.queue->depth();
    total_in_flight += pool_in_flight;
    total_queued += queued;
    pools.push_back(json::object{{"name", p.config->name},
                                 {"workers", p.members.size()},
                                 {"in_flight", pool_in_flight},
                                 {"queued", queued},
                                 {"queue_max", snap->config->queue.max_length}});
  }
  root["workers"] = std::move(workers);
  root["pools"] = std::move(pools);
  const auto window = gw.metrics.window().snapshot(metrics::WindowStats::Clock::now());
  root["totals"] = json::object{{"in_flight", total_in_flight},
                                {"queued", total_queued},
                                {"requests", window.requests},
                                {"errors", window.errors}};
  root["window"] = json::parse(metrics::WindowStats::to_json(window));
  root["recent_errors"] = recent_errors_json(gw.recent_errors);
  root["loading"] = loading_json(*snap, now);
  co_return json::serialize(root);
}

}  // namespace corral::admin
