// TLS towards a backend (`url: https://...`): the client context (system CA store, or `tls_ca`;
// verification on unless `tls_verify: false`), and the handshake that turns a connected TCP socket into
// the plain end of a socket pair (ssl_relay.hpp), so pooled upstream connections stay TcpStreams and the
// plain-HTTP path is untouched. Contexts are built on the control thread with the Backend; handshakes run
// on the connecting thread, and each connection's relay runs there until either side closes.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "tls/server_context.hpp"

namespace corral::tls {

/// One backend's TLS settings, shared by all its connections.
struct UpstreamTls {
  std::shared_ptr<SslContext> context;
  std::string host;    ///< SNI (when a name) and the name or address the certificate must match
  bool verify = true;  ///< false: any certificate is accepted (`tls_verify: false`)
  /// The last handshake failed: failures are logged on the transition only (a misconfigured CA would
  /// otherwise log once per health probe), with OpenSSL's reason.
  mutable std::atomic<bool> failing{false};
};

/// Builds the settings for `host`: TLS 1.2+, peer verification against `ca_file` (PEM; empty = the
/// system's default CA store) unless `verify` is false. Throws std::runtime_error naming the file when
/// it cannot be loaded.
[[nodiscard]] std::shared_ptr<const UpstreamTls> make_upstream_tls(const std::string& host, const std::string& ca_file,
                                                                   bool verify);

/// Handshakes as a client on `socket` (connected) within `timeout`, then relays in the background on the
/// socket's executor. Returns the plain end, or nullopt with `ec` set (handshake or verification failure,
/// beast::error::timeout, or no socket pair).
net::awaitable<std::optional<tcp::socket>> connect_upstream(tcp::socket socket, std::shared_ptr<const UpstreamTls> tls,
                                                            std::chrono::nanoseconds timeout, error_code& ec);

}  // namespace corral::tls
