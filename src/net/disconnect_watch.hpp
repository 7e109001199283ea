// Notices a client that left while nothing is being written to it (queued, connecting, waiting for a
// model to load, between stream chunks), so its upstream work can be cancelled: closing the upstream
// connection is the only cancel signal Ollama understands (style.md section 8). Used as
// `co_await (work() || client_gone(socket))`. A leaf header (no other net/ include) so proxy/ may use it.
#pragma once

#include "common/asio.hpp"

namespace corral::netio {

/// Completes when the peer closed or reset the connection. When bytes arrive instead (a pipelined
/// request), it stops watching and waits, without reading, until the `||` cancels it, leaving the bytes
/// for the connection's next read. Never completes on its own otherwise.
template <class Socket>
net::awaitable<void> client_gone(Socket& socket) {
  auto [ec] = co_await socket.async_wait(net::socket_base::wait_read, use_tuple);
  if (ec == net::error::operation_aborted) co_return;  // cancelled by the `||`: the other side won
  if (!ec) {
    error_code aec;
    const std::size_t available = socket.available(aec);
    if (!aec && available > 0) {
      net::steady_timer forever(co_await net::this_coro::executor, net::steady_timer::time_point::max());
      co_await forever.async_wait(use_tuple);  // until cancelled
    }
  }
  co_return;
}

}  // namespace corral::netio
