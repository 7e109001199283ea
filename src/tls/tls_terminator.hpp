// TLS termination in front of the plain HTTP connection code: the handshake runs on the accepted TCP
// socket, then decrypted bytes are relayed through a local socket pair whose other end is served by the
// ordinary ClientConnection exactly like a plain client. The whole data path (head checks, proxying,
// streaming relay) thus stays typed on one stream type. Costs one extra copy per byte and one fd pair
// per TLS connection. Runs on the connection's worker.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "common/asio.hpp"
#include "tls/server_context.hpp"

namespace corral::tls {

/// Handshakes on `socket` within `handshake_timeout` (a failed or slow handshake just closes), then calls
/// `serve` with the plaintext end and relays until either side closes. Completes when both directions
/// are done.
net::awaitable<void> terminate(tcp::socket socket, std::shared_ptr<SslContext> context,
                               std::chrono::nanoseconds handshake_timeout,
                               std::function<void(tcp::socket plain)> serve);

}  // namespace corral::tls
