// The proxied request's path after the head and body were read and checked (style.md section 4, steps
// 4 to 9): model from the body, pool by model, admission and pick, exchange with retries on other
// backends while nothing reached the client, relay, account. Also the gateway's own small answers
// (/, 404, 405, redirects) and the fleet-wide merges (aggregate.hpp). Runs on the connection's worker.
#pragma once

#include <string>

#include "common/asio.hpp"
#include "common/error.hpp"
#include "proxy/client_request.hpp"
#include "proxy/gateway_state.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::proxy {

/// What a worker lends a request: the shared state and the worker's own upstream connection pool.
struct ProxyContext {
  GatewayState& gw;
  upstream::ConnectionPool& pool;
};

/// Answers `req` (writes the whole response to req.client) and says whether the connection may go on.
net::awaitable<Completion> handle_request(ProxyContext& ctx, ClientRequest& req);

/// Writes a gateway-made error response in the route's family shape (`detail` empty = the table's text).
/// Note for callers: GCC 12 mishandles non-trivial temporaries inside a co_await full-expression (double
/// destruction), so the parameters here are trivially destructible views; keep it that way.
net::awaitable<Completion> answer_error(ClientRequest& req, ErrorKind kind, std::string_view detail = {},
                                        std::uint32_t retry_after = 0);

/// Writes `bytes` (a whole response) to the client; false when the write failed. `bytes` must stay valid
/// until the call completes.
net::awaitable<bool> write_all(TcpStream& client, std::string_view bytes);

}  // namespace corral::proxy
