// Step 9 of a request's path (style.md section 4): the one place a finished request is counted. Feeds
// the metrics (lock-free), the access log (formatted here, written by its own thread) and, for
// failures only, the status page's recent errors. Called exactly once per request the proxy answered.
#pragma once

#include "gateway/client_request.hpp"
#include "gateway/gateway_state.hpp"
#include "proxy/request_record.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::proxy {

/// Records `rec` (its status and duration set) everywhere. Worker thread; never throws or blocks on I/O.
void account(gateway::GatewayState& gw, const upstream::Snapshot& snap, const gateway::ClientRequest& req,
             const RequestRecord& rec) noexcept;

/// Whether a final-object load_duration means this request loaded its model (docs/observability.md):
/// Ollama reports a few milliseconds of load_duration on warm requests too.
[[nodiscard]] metrics::Placement placement_of(const RequestRecord& rec) noexcept;

}  // namespace corral::proxy
