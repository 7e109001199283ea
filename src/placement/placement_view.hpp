// What placement (placement/placement.hpp) sees of a backend, built from its upstream::ModelCatalog and the
// configuration: the facts about the requested model, the other models resident there, which models are
// pinned, and the rules. Shared by the data path's pick (placement/backend_pick) and the control plane's
// prewarm (model_lifecycle), so both judge room on a GPU the same way.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "upstream/model_catalog.hpp"
#include "placement/placement.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::placement {

/// True when the first rule matching `key` says `pinned: true`.
[[nodiscard]] bool pinned(const upstream::Snapshot& snap, std::string_view key);

/// The configured placement rules.
[[nodiscard]] placement::Rules rules_of(const config::PlacementConfig& p);

/// The requested model's facts on backend `b`, configured as `cfg`. Its VRAM is the agent's view while
/// the agent answers, else the configured `vram` (upstream::placement_vram), on every placement path.
[[nodiscard]] placement::WorkerFacts worker_facts(const upstream::Backend& b, const config::BackendConfig& cfg,
                                                  const upstream::ModelState& state, std::uint64_t load_rate);

/// The models other than `except` loaded or loading in `table`, as placement residents (tag = index into
/// `table`). A model still loading counts as busy: it cannot be evicted.
void gather_residents(const upstream::Snapshot& snap, const upstream::ModelCatalog::Table& table, std::uint64_t except,
                      std::vector<placement::Resident>& out);
/// Same, appended to what `out` holds (the model pick keeps every member's residents in one buffer).
void append_residents(const upstream::Snapshot& snap, const upstream::ModelCatalog::Table& table, std::uint64_t except,
                      std::vector<placement::Resident>& out);

}  // namespace corral::placement
