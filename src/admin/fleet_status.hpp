// The gateway's view of its fleet for operators: the /corral/api/status JSON (schema in
// docs/observability.md) and the gauges that are read from live state at scrape time rather than
// updated per request (backend up, in flight, worker queue, pool queue, active models). Reading them
// when asked keeps the request path free of gauge updates and the numbers exact at the moment shown.
#pragma once

#include <string>

#include "common/asio.hpp"
#include "gateway/gateway_state.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::admin {

/// Sets the scrape-time gauges from the current snapshot. Any thread (atomic stores only).
void refresh_gauges(gateway::GatewayState& gw);

/// Builds /corral/api/status. Reads each healthy backend's /api/ps (in parallel, short deadline) for
/// the models it holds and their VRAM, on `pool` (the calling worker's).
net::awaitable<std::string> fleet_status_json(gateway::GatewayState& gw, upstream::ConnectionPool& pool);

}  // namespace corral::admin
