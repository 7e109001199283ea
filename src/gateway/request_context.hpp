// What every handler of a request shares, below the proxy and the admin pages: the context a worker
// lends a request (the shared state and the worker's own upstream connection pool), and the two ways a
// gateway-made answer reaches the client (a whole response, an error in the route's family shape).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/asio.hpp"
#include "common/error.hpp"
#include "gateway/client_request.hpp"
#include "gateway/gateway_state.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::gateway {

/// What a worker lends a request: the shared state and the worker's own upstream connection pool.
struct ProxyContext {
  GatewayState& gw;
  upstream::ConnectionPool& pool;
};

/// Writes a gateway-made error response in the route's family shape (`detail` empty = the table's text).
/// Note for callers: GCC 12 mishandles non-trivial temporaries inside a co_await full-expression (double
/// destruction), so the parameters here are trivially destructible views; keep it that way.
net::awaitable<Completion> answer_error(ClientRequest& req, ErrorKind kind, std::string_view detail = {},
                                        std::uint32_t retry_after = 0);

/// Writes `bytes` (a whole response) to the client; false when the write failed. `bytes` must stay valid
/// until the call completes.
net::awaitable<bool> write_all(TcpStream& client, std::string_view bytes);

}  // namespace corral::gateway
