// The proxied request's path after the head and body were read and checked (style.md section 4, steps
// 4 to 9): model from the body, pool by model, admission and pick, exchange with retries on other
// backends while nothing reached the client, relay, account. Also the gateway's own small answers
// (/, 404, 405, redirects) and the fleet-wide merges (aggregate.hpp). Runs on the connection's worker.
#pragma once

#include <string>

#include "common/asio.hpp"
#include "common/error.hpp"
#include "gateway/request_context.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::proxy {

/// Answers `req` (writes the whole response to req.client) and says whether the connection may go on.
net::awaitable<gateway::Completion> handle_request(gateway::ProxyContext& ctx, gateway::ClientRequest& req);

}  // namespace corral::proxy
