#include "upstream/backend_registry.hpp"

#include <unordered_map>

namespace corral::upstream {

bool Snapshot::has_model(std::uint64_t model_hash) const {
  for (const auto& b : backends) {
    const auto state = b->catalog.find(model_hash);
    if (!state) continue;
    if (state->loaded.load(std::memory_order_relaxed)) return true;
    if (state->disk_bytes.load(std::memory_order_relaxed) != 0 && b->catalog.may_have(model_hash)) return true;
  }
  return false;
}

BackendRegistry::BackendRegistry(const config::Config& config, admission::AdmissionController& admission)
    : admission_(admission) {
  auto snap = std::make_shared<Snapshot>(std::make_shared<const config::Config>(config));
  fill(*snap, nullptr);
  current_.store(std::move(snap), std::memory_order_release);
}

void BackendRegistry::apply(const config::Config& config) {
  auto previous = current();
  // Made before the queues change: the access policy is what may still refuse this configuration.
  auto next = std::make_shared<Snapshot>(std::make_shared<const config::Config>(config));
  admission_.reconfigure(config);
  fill(*next, previous.get());
  current_.store(std::move(next), std::memory_order_release);
  admission_.kick_all();
}

void BackendRegistry::fill(Snapshot& snap, const Snapshot* previous) {
  const std::shared_ptr<const config::Config>& cfg = snap.config;
  snap.generation = ++generation_;

  std::unordered_map<std::string, std::shared_ptr<Backend>> old;  // key: pool \n reuse_key
  if (previous != nullptr) {
    for (const auto& b : previous->backends) old.emplace(b->pool_name + "\n" + b->reuse_key, b);
  }
  // The retry budget and the affinity table are kept when their settings did not change, so a reload
  // does not forget sessions or reset the budget's window.
  const bool same_budget = previous != nullptr &&
                           previous->config->retry_budget.ratio == cfg->retry_budget.ratio &&
                           previous->config->retry_budget.min_per_second == cfg->retry_budget.min_per_second &&
                           previous->config->retry_budget.window == cfg->retry_budget.window;
  snap.retry_budget = same_budget ? previous->retry_budget
                                  : std::make_shared<admission::RetryBudget>(cfg->retry_budget);
  if (cfg->affinity) {
    const bool same_ttl = previous != nullptr && previous->affinity && previous->config->affinity &&
                          previous->config->affinity->ttl == cfg->affinity->ttl;
    snap.affinity = same_ttl ? previous->affinity : std::make_shared<lb::AffinityTable>(cfg->affinity->ttl);
  }

  snap.pools.reserve(cfg->pools.size());
  for (std::size_t p = 0; p < cfg->pools.size(); ++p) {
    const config::PoolConfig& pc = cfg->pools[p];
    PoolState pool;
    pool.config = &pc;
    pool.policy = lb::make_policy(pc);
    pool.queue = admission_.queue(p);
    auto budget = std::make_shared<EjectionBudget>(pc.backends.size(), cfg->outlier.max_ejection_percent);
    for (const config::BackendConfig& bc : pc.backends) {
      std::shared_ptr<Backend> backend;
      if (auto it = old.find(pc.name + "\n" + reuse_key(bc)); it != old.end()) {
        backend = it->second;
        backend->slots->limit.store(bc.max_inflight, std::memory_order_relaxed);
      } else {
        backend = std::make_shared<Backend>(bc, pc.name, cfg->health);
      }
      pool.slots.push_back(backend->slots);
      snap.backends.push_back(backend);
      pool.members.push_back(std::make_unique<PoolMember>(backend, bc.weight, cfg->outlier, budget));
    }
    snap.pools.push_back(std::move(pool));
  }
}

}  // namespace corral::upstream
