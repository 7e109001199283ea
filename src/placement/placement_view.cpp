#include "placement/placement_view.hpp"

#include "upstream/agent_reading.hpp"

namespace corral::placement {

bool pinned(const upstream::Snapshot& snap, std::string_view key) {
  const std::size_t rule = snap.matcher.rule_for(key);
  return rule != routing::ModelMatcher::npos && snap.config->models[rule].pinned;
}

placement::Rules rules_of(const config::PlacementConfig& p) {
  return {p.min_residency.count(), p.max_pass_over.count(), p.replicate_queue_depth};
}

placement::WorkerFacts worker_facts(const upstream::Backend& b, const config::BackendConfig& cfg,
                                    const upstream::ModelState& state, std::uint64_t load_rate) {
  placement::WorkerFacts facts;
  facts.vram = upstream::placement_vram(b, cfg);
  facts.loaded = state.loaded.load(std::memory_order_relaxed);
  facts.loading_since_ns = state.loading_since_ns.load(std::memory_order_relaxed);
  facts.model_bytes = state.bytes();
  facts.load_estimate_ns =
      placement::load_estimate_ns(facts.model_bytes, state.learned_load_ns.load(std::memory_order_relaxed), load_rate);
  return facts;
}

void gather_residents(const upstream::Snapshot& snap, const upstream::ModelCatalog::Table& table, std::uint64_t except,
                      std::vector<placement::Resident>& out) {
  out.clear();
  append_residents(snap, table, except, out);
}

void append_residents(const upstream::Snapshot& snap, const upstream::ModelCatalog::Table& table, std::uint64_t except,
                      std::vector<placement::Resident>& out) {
  const std::uint64_t rate = snap.config->placement.load_rate;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& [hash, s] = table[i];
    if (hash == except) continue;
    const std::int64_t loading_since = s->loading_since_ns.load(std::memory_order_relaxed);
    const bool loading = loading_since != 0;
    if (!s->loaded.load(std::memory_order_relaxed) && !loading) continue;
    placement::Resident r;
    r.bytes = s->bytes();
    r.load_estimate_ns = placement::load_estimate_ns(r.bytes, s->learned_load_ns.load(std::memory_order_relaxed), rate);
    r.last_used_ns = s->last_used_ns.load(std::memory_order_relaxed);
    r.loaded_at_ns = s->loaded_at_ns.load(std::memory_order_relaxed);
    r.loading_since_ns = loading_since;
    r.in_flight = s->slots->in_flight.load(std::memory_order_relaxed) + (loading ? 1 : 0);
    r.pinned = pinned(snap, s->key);
    r.tag = i;
    out.push_back(r);
  }
}

}  // namespace corral::placement
