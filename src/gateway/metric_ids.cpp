#include "gateway/metric_ids.hpp"

#include <algorithm>

#include "gateway/gateway_state.hpp"

namespace corral::gateway {

void publish_metric_ids(GatewayState& gw) {
  const auto snap = gw.registry.current();
  auto ids = std::make_shared<MetricIds>();
  ids->generation = snap->generation;
  for (const auto& pool : snap->pools) {
    ids->pools.push_back(gw.metrics.pool_id(pool.config->name));
    auto& row = ids->members.emplace_back();
    for (const auto& m : pool.members) row.push_back(gw.metrics.backend_id(m->backend->name));
  }
  if (const auto old = gw.metric_ids.load()) {
    for (const auto p : old->pools) {
      if (std::find(ids->pools.begin(), ids->pools.end(), p) == ids->pools.end()) gw.metrics.set_pool_visible(p, false);
    }
    for (const auto& row : old->members) {
      for (const auto b : row) {
        const bool kept = std::any_of(ids->members.begin(), ids->members.end(), [b](const auto& r) {
          return std::find(r.begin(), r.end(), b) != r.end();
        });
        if (!kept) gw.metrics.set_backend_visible(b, false);
      }
    }
  }
  for (const auto p : ids->pools) gw.metrics.set_pool_visible(p, true);
  gw.metric_ids.store(std::move(ids));
}

}  // namespace corral::gateway
