// The gateway's own answers (docs/observability.md): the probes (/healthz, /readyz), the status page
// (`/corral/`, and `/` on the admin listener), /metrics, /corral/api/status, /corral/api/scale and the
// reload call. Which path is which page, on which listener, and who may ask, is the route table's
// (routing/router.hpp, RouteKind::kGateway rows); this file only answers the endpoint it is given.
#pragma once

#include <cstdint>
#include <string>

#include "common/asio.hpp"
#include "gateway/gateway_state.hpp"
#include "routing/router.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::admin {

/// What answers a gateway endpoint.
enum class Page : std::uint8_t {
  kNone,     ///< not a page: 404 (the /corral/ and admin-listener namespaces)
  kHealth,   ///< 200 {"status":"ok"}
  kReady,    ///< 200 ready or 503 not ready
  kHtml,     ///< the status page
  kMetrics,  ///< the Prometheus exposition
  kStatus,   ///< the fleet's JSON
  kScale,    ///< the scale advisor's JSON
  kReload,   ///< re-reads the configuration file: 200, or 400 with the loader's error
};

[[nodiscard]] Page page_for(routing::Endpoint endpoint);

/// The whole response to a request routed to the gateway itself (`route.kind == kGateway`), already
/// authorized. A route whose method its row does not take gets 405 with the row's `Allow`. Worker
/// thread; `pool` is the worker's; the reload and the scale advisor run on the control thread.
net::awaitable<std::string> answer_gateway_route(gateway::GatewayState& gw, upstream::ConnectionPool& pool,
                                                 const http::request<http::string_body>& msg,
                                                 const routing::Route& route, bool keep_alive);

}  // namespace corral::admin
