#include "models/loading_report.hpp"

#include <algorithm>

#include "placement/placement.hpp"

namespace corral::models {

std::vector<LoadingModel> loading_models(const upstream::Snapshot& snap, std::int64_t now_ns) {
  std::vector<LoadingModel> out;
  for (const upstream::PoolState& pool : snap.pools) {
    for (const auto& m : pool.members) {
      for (const auto& [hash, s] : *m->backend->catalog.table()) {
        const std::int64_t since = s->loading_since_ns.load(std::memory_order_relaxed);
        if (since == 0) continue;
        const std::int64_t estimate = placement::load_estimate_ns(
            s->bytes(), s->learned_load_ns.load(std::memory_order_relaxed), snap.config->placement.load_rate);
        out.push_back({pool.config->name, m->backend->name, s->key, since, std::max<std::int64_t>(0, since + estimate - now_ns)});
      }
    }
  }
  return out;
}

}  // namespace corral::models
