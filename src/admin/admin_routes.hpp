// Where the operator's pages are served (docs/observability.md): on the admin listener `/` and
// `/corral/` (the status page), `/metrics`, `/corral/api/status`, `/corral/api/scale`; on the main
// listener the same `/corral/` paths, and `/metrics` only when no admin listener is configured.
// Everything else is left to the caller (the proxy, or the admin listener's own calls).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "gateway/gateway_state.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::admin {

/// True when `path` is one of the pages answer_observability serves: checked first, so that the
/// requests of the fleet (every other path) do not pay for a coroutine frame.
[[nodiscard]] bool is_observability_page(const gateway::GatewayState& gw, std::string_view path, bool admin_listener);

/// The whole response for `path` when it is one of the pages above for this listener, else nullopt.
/// GET and HEAD only (other methods get 405). Worker thread; `pool` is the worker's.
net::awaitable<std::optional<std::string>> answer_observability(gateway::GatewayState& gw, upstream::ConnectionPool& pool,
                                                                const http::request<http::string_body>& msg,
                                                                std::string_view path, bool keep_alive,
                                                                bool admin_listener);

}  // namespace corral::admin
