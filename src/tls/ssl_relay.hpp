// The byte pump between a TLS stream and the local socket pair whose other end plain-HTTP code holds, for
// both directions of TLS in Corral: termination on a listener (tls_terminator) and TLS to a backend
// (upstream_tls). Keeping TLS behind a socket pair leaves every stream type of the data path a plain
// TcpStream: plain connections pay nothing for TLS support; a TLS connection pays one extra copy per byte
// and one fd pair.
#pragma once

#include <chrono>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/ssl.hpp>

#include "common/asio.hpp"

namespace corral::tls {

using SslStream = beast::ssl_stream<beast::tcp_stream>;
using LocalSocket = net::local::stream_protocol::socket;

/// Connects a socket pair on `ex`: `mine` stays with the relay, `plain` (a unix socket wrapped as a
/// tcp::socket, so it fits TcpStream) goes to the plain-HTTP code. False on failure (fd exhaustion).
[[nodiscard]] bool make_plain_pair(const net::any_io_executor& ex, LocalSocket& mine, tcp::socket& plain);

/// Relays between `tls` (handshake done) and `plain` until both directions are done. The TLS peer's EOF
/// half-closes `plain`; the plain side's EOF sends a FIN to the TLS peer, which may then keep sending for
/// `linger` (0: none) before the TCP connection is closed under it. Both are closed at the end.
net::awaitable<void> relay(SslStream& tls, LocalSocket& plain, std::chrono::nanoseconds linger);

}  // namespace corral::tls
