// A load is marked in the catalog before it is sent (loading_since plus one of the model's slots), so
// the data path joins it instead of starting another and the next tick does not send it twice; the slot
// is given back and the pool queue kicked when the answer comes, since waiting requests may now fit.
// Unloads are marked at once too: the backend stops counting as warm before the server has let go.
#include "models/model_lifecycle.hpp"

#include <algorithm>
#include <vector>

#include "common/log.hpp"
#include "http/final_object.hpp"
#include "common/hash.hpp"
#include "models/control_request.hpp"
#include "placement/placement_view.hpp"
#include "routing/model_name.hpp"

namespace corral::models {
namespace {

// The cost of loading `hash` on member `i`, or nullopt when it cannot go there now.
std::optional<std::int64_t> load_cost(const upstream::Snapshot& snap, const upstream::PoolState& pool, std::size_t i,
                                      std::uint64_t hash, std::string_view key, std::int64_t now_ns) {
  const upstream::PoolMember& m = *pool.members[i];
  const config::BackendConfig& bc = pool.config->backends[i];
  const auto state = m.backend->catalog.state(hash, key);
  const placement::WorkerFacts facts = placement::worker_facts(*m.backend, bc, *state, snap.config->placement.load_rate);
  const auto table = m.backend->catalog.table();
  std::vector<placement::Resident> residents;
  placement::gather_residents(snap, *table, hash, residents);
  const auto a = placement::assess(facts, residents, now_ns, false, placement::rules_of(snap.config->placement));
  if (a.fit != placement::Fit::kFree && a.fit != placement::Fit::kEvict) return std::nullopt;
  return a.cost_ns;
}

double keep_alive_seconds(const config::ModelRoute& rule) {
  if (!rule.keep_alive || rule.keep_alive->count() < 0) return -1;  // prewarm: keep loaded
  return std::chrono::duration<double>(*rule.keep_alive).count();
}

// A load Corral started, into ollama_model_load_duration_seconds: the answer's load_duration (the last
// one in the body, i.e. the final object's), else the time the call took (which then includes the
// request's own round trip).
void record_load(metrics::CorralMetrics* metrics, const upstream::Backend& backend, const std::string& model,
                 const ControlAnswer& answer, std::chrono::steady_clock::duration measured) {
  if (metrics == nullptr) return;
  const auto fallback = std::chrono::duration_cast<std::chrono::nanoseconds>(measured);
  const auto d = http1::scan_final_object(answer.body).load_duration.value_or(fallback);
  metrics->record_model_load(metrics->model_id(model), metrics->backend_id(backend.name), d);
}

net::awaitable<void> load(std::shared_ptr<upstream::Backend> backend, std::shared_ptr<upstream::ModelState> state,
                          std::shared_ptr<admission::PoolQueue> queue, std::string body, std::chrono::nanoseconds timeout,
                          metrics::CorralMetrics* metrics) {
  const auto started = std::chrono::steady_clock::now();
  const ControlAnswer answer = co_await post_json(backend, "/api/generate", std::move(body), timeout);
  const int status = answer.status;
  if (status == 200) {
    backend->catalog.mark_served(common::hash_key(state->key));
    record_load(metrics, *backend, state->key, answer, std::chrono::steady_clock::now() - started);
    log::info("loaded model {} on backend {}", state->key, backend->name);
  } else {
    state->loading_since_ns.store(0);
    log::warn("loading model {} on backend {} failed (status {})", state->key, backend->name, status);
  }
  state->slots->give_back();
  if (queue) queue->kick();
}

net::awaitable<void> unload(std::shared_ptr<upstream::Backend> backend, std::string body, std::chrono::nanoseconds timeout) {
  (void)co_await post_json(backend, "/api/generate", std::move(body), timeout);
}

}  // namespace

std::string exact_model(std::string_view match) {
  if (match.find_first_of("*?") != std::string_view::npos) return {};
  return routing::model_key(match).value_or(std::string());
}

namespace {

// How one model stands in its pool right now (eligible members only).
struct Replicas {
  std::uint32_t loaded = 0;  ///< members that hold it loaded (or loading)
  std::uint32_t warm = 0;    ///< members where it is warm (loaded and not loading)
  std::uint32_t slots = 0;   ///< slots of the fully loaded replicas
  std::uint32_t busy = 0;    ///< requests in those slots
};

Replicas count_replicas(const upstream::PoolState& pool, std::uint64_t hash, std::int64_t now) {
  Replicas r;
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if (!m.eligible(now)) continue;
    if (const auto s = m.backend->catalog.find(hash)) {
      const bool is_loaded = s->loaded.load();
      r.loaded += is_loaded ? 1 : 0;
      r.warm += m.backend->catalog.warm(hash) ? 1 : 0;
      if (is_loaded && s->loading_since_ns.load() == 0) {
        r.slots += pool.config->backends[i].num_parallel;
        r.busy += s->slots->in_flight.load();
      }
    }
  }
  return r;
}

// The eligible member that can take one more replica at the lowest load cost, if any.
std::optional<std::size_t> cheapest_new_replica(const upstream::Snapshot& snap, const upstream::PoolState& pool,
                                                std::uint64_t hash, const std::string& key, std::int64_t now) {
  std::optional<std::size_t> best;
  std::int64_t best_cost = 0;
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if (!m.eligible(now) || m.backend->catalog.warm(hash) || !m.backend->catalog.may_have(hash)) continue;
    const auto cost = load_cost(snap, pool, i, hash, key, now);
    if (cost && (!best || *cost < best_cost)) {
      best = i;
      best_cost = *cost;
    }
  }
  return best;
}

// Idle replicas past keep_alive go, least recently used first, while more than `keep` stay loaded.
void unload_idle(const upstream::Snapshot& snap, const upstream::PoolState& pool, const config::ModelRoute& rule,
                 const std::string& key, std::uint64_t hash, std::uint32_t loaded, std::uint32_t keep,
                 std::int64_t now, const net::any_io_executor& ex) {
  std::vector<std::pair<std::int64_t, std::size_t>> idle;
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const auto s = pool.members[i]->backend->catalog.find(hash);
    if (!s || !s->loaded.load() || s->loading_since_ns.load() != 0 || s->slots->in_flight.load() != 0) continue;
    const std::int64_t last = s->last_used_ns.load();
    if (now - last >= rule.keep_alive->count()) idle.emplace_back(last, i);
  }
  std::sort(idle.begin(), idle.end());
  for (const auto& [last, i] : idle) {
    if (loaded <= keep) break;
    const auto& backend = pool.members[i]->backend;
    backend->catalog.find(hash)->loaded.store(false);
    --loaded;
    log::info("unloading idle model {} from backend {}", key, backend->name);
    net::co_spawn(ex, unload(backend, keep_alive_body(key, 0), snap.config->timeouts.connect), net::detached);
  }
}

}  // namespace

void ModelLifecycle::add_replica(const upstream::Snapshot& snap, const upstream::PoolState& pool,
                                 const config::ModelRoute& rule, const std::string& key, std::uint64_t hash,
                                 bool predicted, std::int64_t now, const net::any_io_executor& ex) {
  const auto best = cheapest_new_replica(snap, pool, hash, key, now);
  if (!best) return;
  const auto& backend = pool.members[*best]->backend;
  auto state = backend->catalog.state(hash, key);
  state->slots->limit.store(pool.config->backends[*best].num_parallel);
  if (!state->slots->try_take()) return;
  if (predicted) log::info("model {} runs near its warm capacity: loading a replica on {}", key, backend->name);
  state->loading_since_ns.store(now);
  state->last_used_ns.store(now);
  net::co_spawn(ex, load(backend, state, pool.queue, keep_alive_body(key, keep_alive_seconds(rule)),
                         snap.config->timeouts.first_byte, metrics_),
                net::detached);
}

bool ModelLifecycle::tick(const upstream::SnapshotPtr& snapshot, std::int64_t now_ns, const net::any_io_executor& ex) {
  const upstream::Snapshot& snap = *snapshot;
  bool prewarmed = true;
  for (const config::ModelRoute& rule : snap.config->models) {
    const std::string key = exact_model(rule.match);
    if (key.empty()) continue;
    const auto pool_index = snap.config->pool_index(rule.pool);
    if (!pool_index) continue;
    const upstream::PoolState& pool = snap.pools[*pool_index];
    const std::uint64_t hash = common::hash_key(key);
    const std::uint32_t keep = std::max<std::uint32_t>(rule.min_replicas.value_or(0), rule.prewarm ? 1 : 0);

    const Replicas r = count_replicas(pool, hash, now_ns);
    if (rule.prewarm && r.loaded == 0) prewarmed = false;
    // One more replica when the warm ones run near capacity, unless a load is already under way.
    const bool predicted = predictor_.observe(hash, r.busy, r.slots) && r.warm == r.loaded &&
                           (!rule.max_replicas || r.warm < *rule.max_replicas);
    const std::uint32_t want = predicted ? std::max(keep, r.warm + 1) : keep;
    if (r.warm < want) add_replica(snap, pool, rule, key, hash, predicted, now_ns, ex);

    const bool unloads = rule.keep_alive && rule.keep_alive->count() > 0;
    if (unloads && !placement::pinned(snap, key)) unload_idle(snap, pool, rule, key, hash, r.loaded, keep, now_ns, ex);
  }
  // What only time changes (a model's residency running out, a waiter reaching max_pass_over) has no
  // event of its own: each round offers every pool's free slots to its waiters again (cheap when none wait).
  for (const upstream::PoolState& pool : snap.pools) pool.queue->kick();
  return prewarmed;
}

}  // namespace corral::models
