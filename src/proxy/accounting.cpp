#include "proxy/accounting.hpp"

#include "common/hash.hpp"
#include "common/log.hpp"

namespace corral::proxy {
namespace {

// A load_duration this long is a real load even when the catalog believed the model warm (it may have
// been evicted since the last poll); below it, only a model the catalog did not have warm counts.
constexpr std::chrono::milliseconds kSureLoad{500};

// The route table's `generates` column: the endpoints that run a model and report tokens.
bool generates(routing::Endpoint e) { return routing::traits(e).generates; }

std::string_view pool_name(const upstream::Snapshot& snap, std::int32_t p) {
  if (p < 0 || static_cast<std::size_t>(p) >= snap.pools.size()) return {};
  return snap.pools[static_cast<std::size_t>(p)].config->name;
}

std::string_view backend_name(const upstream::Snapshot& snap, std::int32_t p, std::int32_t b) {
  if (p < 0 || static_cast<std::size_t>(p) >= snap.pools.size()) return {};
  const auto& members = snap.pools[static_cast<std::size_t>(p)].members;
  if (b < 0 || static_cast<std::size_t>(b) >= members.size()) return {};
  return members[static_cast<std::size_t>(b)]->backend->name;
}

void remember_error(gateway::GatewayState& gw, const upstream::Snapshot& snap, const RequestRecord& rec) {
  observe::ErrorEntry e;
  e.time_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  e.status = rec.status;
  e.model = rec.model_key;
  e.backend = std::string(backend_name(snap, rec.pool, rec.backend));
  if (rec.error) {
    e.kind = std::string(error_info(*rec.error).name);
    e.message = std::string(error_info(*rec.error).message);
  } else {
    e.kind = "upstream_status";
    e.message = "backend answered " + std::to_string(rec.status);
  }
  gw.recent_errors.add(std::move(e));
}

// The model's metric label. A name with one costs a lock-free lookup, as before. A new name gets its own
// only when the fleet has the model (Snapshot::has_model; configured exact names have theirs from the
// start): a client sending random names would otherwise fill the capped slots and push the real models
// that come later into model="other". Junk counts as "other" at once.
metrics::ModelId model_label(gateway::GatewayState& gw, const upstream::Snapshot& snap, const std::string& key) {
  if (key.empty()) return metrics::ModelInterner::kNone;
  if (const auto id = gw.metrics.find_model_id(key)) return *id;
  if (!snap.has_model(common::hash_key(key))) return metrics::ModelInterner::kOther;
  return gw.metrics.model_id(key);
}

}  // namespace

metrics::Placement placement_of(const RequestRecord& rec) noexcept {
  if (rec.model_key.empty() || rec.backend < 0 || rec.status != 200 || !generates(rec.endpoint)) {
    return metrics::Placement::none;
  }
  const bool loaded = rec.load_duration && rec.load_duration->count() > 0 &&
                      (!rec.was_warm || *rec.load_duration >= kSureLoad);
  return loaded ? metrics::Placement::cold : metrics::Placement::warm;
}

void account(gateway::GatewayState& gw, const upstream::Snapshot& snap, const gateway::ClientRequest& req,
             const RequestRecord& rec) noexcept {
  metrics::RequestRecord m;
  try {
    m.model = model_label(gw, snap, rec.model_key);
  } catch (...) {
    m.model = metrics::ModelInterner::kOther;  // allocation failure while interning a new name
  }
  if (const auto ids = gw.metric_ids.load(); ids && ids->generation == snap.generation) {
    m.pool = ids->pool(rec.pool);
    m.backend = ids->backend(rec.pool, rec.backend);
  }
  m.status = rec.status;
  m.duration = rec.duration;
  if (rec.queued) m.queue_wait = rec.queue_wait;
  if (generates(rec.endpoint) && rec.status == 200) m.time_to_first_token = rec.ttfb;
  m.eval_duration = rec.eval_duration;
  m.load_duration = rec.load_duration;
  m.prompt_tokens = rec.prompt_tokens;
  m.completion_tokens = rec.completion_tokens;
  m.bytes_in = rec.bytes_in;
  m.bytes_out = rec.bytes_out;
  m.placement = placement_of(rec);
  gw.metrics.record_request(m);

  if (gw.access_log && gw.access_log->wants(rec.status)) {
    observe::AccessEntry e;
    e.time = std::chrono::system_clock::now();
    e.request_id = req.request_id;
    e.client = req.client_ip;
    e.method = req.msg.method_string();
    e.path = req.facts.path;
    e.endpoint = routing::to_string(rec.endpoint);
    e.model = rec.model_key;
    e.pool = pool_name(snap, rec.pool);
    e.backend = backend_name(snap, rec.pool, rec.backend);
    e.principal = req.principal;
    if (rec.error) e.error = error_info(*rec.error).name;
    e.status = rec.status;
    e.retries = rec.retries;
    e.queue_wait = rec.queue_wait;
    e.ttfb = rec.ttfb;
    e.duration = rec.duration;
    e.prompt_tokens = rec.prompt_tokens;
    e.completion_tokens = rec.completion_tokens;
    e.bytes_in = rec.bytes_in;
    e.bytes_out = rec.bytes_out;
    e.truncated = rec.truncated;
    gw.access_log->write(e);
  }

  if ((rec.status >= 500 && rec.status != 499) || rec.truncated) {
    try {
      remember_error(gw, snap, rec);
    } catch (...) {
      // Allocation failure: the status page misses one entry; the metrics counted it.
    }
  }
}

}  // namespace corral::proxy
