// The metric label ids (metrics::BackendId / PoolId) of one published snapshot's pools and members,
// resolved on the control thread whenever a snapshot is published, so a worker turns (pool index,
// member index) into ids with two vector reads instead of hashing backend names per request.
#pragma once

#include <cstdint>
#include <vector>

#include "metrics/corral_metrics.hpp"

namespace corral::gateway {

struct GatewayState;

struct MetricIds {
  std::uint64_t generation = 0;  ///< Snapshot::generation these ids belong to
  std::vector<metrics::PoolId> pools;
  std::vector<std::vector<metrics::BackendId>> members;  ///< [pool][member]

  /// Ids for a request's indices; kNoPool / kNoBackend when out of range.
  [[nodiscard]] metrics::PoolId pool(std::int32_t p) const {
    return p >= 0 && static_cast<std::size_t>(p) < pools.size() ? pools[static_cast<std::size_t>(p)] : metrics::kNoPool;
  }
  [[nodiscard]] metrics::BackendId backend(std::int32_t p, std::int32_t m) const {
    if (p < 0 || static_cast<std::size_t>(p) >= members.size()) return metrics::kNoBackend;
    const auto& row = members[static_cast<std::size_t>(p)];
    return m >= 0 && static_cast<std::size_t>(m) < row.size() ? row[static_cast<std::size_t>(m)] : metrics::kNoBackend;
  }
};

/// Resolves the current snapshot's ids, hides the series of backends and pools it no longer has, and
/// publishes the table in gw.metric_ids. Control thread, after startup and after every reload.
void publish_metric_ids(GatewayState& gw);

}  // namespace corral::gateway
