// The control plane of model placement, run after every poll round on the control thread: keeps the
// models a rule names exactly (no glob) at their `min_replicas` / `prewarm` count of loaded backends
// (loading the missing ones where placement finds room, also after a backend comes back), and unloads
// (`keep_alive: 0`) replicas idle past the rule's `keep_alive` down to that count; loads one more replica
// when the warm ones run near capacity (BusyPredictor). Never touches a model
// in use or pinned. Data-path placement (placement/backend_pick) handles load on demand and replication.
#pragma once

#include <cstdint>
#include <string>

#include "common/asio.hpp"
#include "metrics/corral_metrics.hpp"
#include "models/busy_predictor.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::models {

class ModelLifecycle final {
 public:
  /// `metrics` (may be null; must outlive the loads) counts the loads Corral starts in
  /// ollama_model_load_duration_seconds.
  explicit ModelLifecycle(metrics::CorralMetrics* metrics = nullptr) : metrics_(metrics) {}

  /// Starts the loads and unloads `snapshot` calls for at `now_ns` (steady); they run detached on the
  /// calling (control) executor. Returns true when every prewarm model has a loaded backend (readiness).
  bool tick(const upstream::SnapshotPtr& snapshot, std::int64_t now_ns, const net::any_io_executor& ex);

 private:
  // Starts a load of `key` on the member with the cheapest fit, taking one of its slots for the load.
  void add_replica(const upstream::Snapshot& snap, const upstream::PoolState& pool, const config::ModelRoute& rule,
                   const std::string& key, std::uint64_t hash, bool predicted, std::int64_t now,
                   const net::any_io_executor& ex);

  BusyPredictor predictor_;
  metrics::CorralMetrics* metrics_;
};

/// The routing key a rule's `match` names exactly, or "" when it is a glob (cannot be loaded by name).
[[nodiscard]] std::string exact_model(std::string_view match);

}  // namespace corral::models
