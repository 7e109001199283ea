#include "models/delete_guard.hpp"

#include "common/hash.hpp"

namespace corral::models {

std::optional<std::string> delete_refusal(const upstream::Snapshot& snap, std::size_t pool_index,
                                          std::string_view model_key) {
  if (model_key.empty() || pool_index >= snap.pools.size()) return std::nullopt;
  const std::size_t rule = snap.matcher.rule_for(model_key);
  const std::string name(model_key);
  if (rule != routing::ModelMatcher::npos && snap.config->models[rule].pinned) {
    return "model '" + name + "' is pinned in the gateway configuration and cannot be deleted";
  }
  const std::uint64_t hash = common::hash_key(model_key);
  const upstream::PoolState& pool = snap.pools[pool_index];
  std::uint32_t running = 0;
  bool loading = false;
  for (const auto& m : pool.members) {
    if (const auto s = m->backend->catalog.find(hash)) {
      running += s->slots->in_flight.load(std::memory_order_relaxed);
      loading = loading || s->loading_since_ns.load(std::memory_order_relaxed) != 0;
    }
  }
  const std::uint32_t waiting = pool.queue ? pool.queue->demand().waiting(hash) : 0;
  if (running == 0 && waiting == 0 && !loading) return std::nullopt;
  return "model '" + name + "' is in use (" + std::to_string(running) + " running, " + std::to_string(waiting) +
         " queued" + (loading ? ", loading" : "") + "); retry when it is idle";
}

}  // namespace corral::models
