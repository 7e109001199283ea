// One worker thread's world (style.md section 5): its own io_context run by exactly one thread, its own
// upstream connection pool (pruned on this thread by upstream::tidy_pool_loop, and at once by a reload:
// what idled past timeouts.upstream_idle, and every connection of a backend the configuration dropped),
// and the set of client connections it serves (touched only on this thread; the drain walks it to close
// idle keep-alive connections). Namespace netio: corral::net is Asio.
#pragma once

#include <memory>
#include <thread>
#include <unordered_set>

#include "common/asio.hpp"
#include "http/body_relay.hpp"
#include "gateway/gateway_state.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::netio {

class ClientConnection;

struct Worker {
  explicit Worker(gateway::GatewayState& state) : gw(state) {}

  gateway::GatewayState& gw;
  upstream::ConnectionPool pool;
  http1::RelayBuffers relay_buffers;  ///< lent to a stream only while it copies and writes a piece
  std::unordered_set<ClientConnection*> connections;  ///< this thread only
  std::thread thread;
  // Declared last so it is destroyed first: destroying it destroys the coroutine frames still pending on
  // it (the pool's prune loop among them), whose destructors touch `connections` and return nothing to
  // `pool`.
  net::io_context ioc{1};
};

}  // namespace corral::netio
