// Accepts client connections on the control thread and hands each socket to the next worker, round
// robin, accepting it straight onto that worker's io_context (style.md section 4, step 1). One acceptor
// rather than SO_REUSEPORT per worker: the kernel's reuseport hashing spreads a few long-lived keep-alive
// connections unevenly over two or four workers, a single acceptor gives the drain one place to stop
// accepting, and accepting costs little next to a request on a keep-alive connection.
// At accept it enforces the connection caps (limits.max_connections[_per_ip]: over the cap, the socket is
// closed at once) and, when the listener's `tls` is set, puts TLS termination in front of the connection.
// The TLS context is rebuilt when a reload publishes a new configuration (certificate rotation on SIGHUP);
// a context that fails to build keeps the previous one and logs why.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "auth/gatekeeper.hpp"
#include "common/asio.hpp"
#include "net/connection_limiter.hpp"
#include "net/worker.hpp"
#include "tls/server_context.hpp"

namespace corral::netio {

class Listener final {
 public:
  /// Binds and listens at once (throws std::system_error when the address is taken or invalid, and
  /// std::runtime_error when the listener's TLS certificate or key cannot be loaded).
  Listener(net::io_context& control, const std::string& host, std::uint16_t port, std::vector<Worker*> workers,
           bool admin, auth::Gatekeeper& gatekeeper);

  /// The bound address (the real port when 0 was asked for).
  [[nodiscard]] tcp::endpoint local_endpoint() const;
  /// Starts the accept loop on the control thread.
  void start();
  /// Stops accepting (drain); connections already accepted go on.
  void stop();
  /// Connections refused at accept by the caps.
  [[nodiscard]] std::uint64_t refused_connections() const { return limiter_->refused(); }

 private:
  net::awaitable<void> accept_loop();
  void hand_over(tcp::socket socket, Worker& worker);
  /// The TLS context for `config` (nullptr: plain). Control thread only.
  std::shared_ptr<tls::SslContext> tls_context(const std::shared_ptr<const config::Config>& config);

  TcpAcceptor acceptor_;
  std::vector<Worker*> workers_;
  bool admin_;
  auth::Gatekeeper& gatekeeper_;
  std::shared_ptr<ConnectionLimiter> limiter_ = std::make_shared<ConnectionLimiter>();
  std::size_t next_ = 0;
  std::shared_ptr<const config::Config> tls_built_for_;
  std::shared_ptr<tls::SslContext> tls_context_;
};

}  // namespace corral::netio
