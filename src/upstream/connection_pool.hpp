// Keep-alive connections to backends, one pool per worker thread (and one for the control thread), so a
// pooled socket never leaves the thread that made it. Per backend: a LIFO stack of idle connections,
// capped; checkout() peeks one byte without blocking (h2o's socketpool check): would-block = alive, EOF
// or unexpected data = discard. The peek is skipped for a connection given back moments ago: that is
// the hot path under load, where the check would cost one syscall per request (~10% of them) to guard
// against a close that backends do not make within a second of answering, and the exchange replays a
// request once on a fresh connection when a reused one fails before any response byte anyway. "Return" gives a connection back after a clean exchange; anything else
// just drops it (closing is Ollama's cancel signal). Single-threaded: no locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/asio.hpp"

namespace corral::upstream {

class Backend;

struct UpstreamConnection {
  explicit UpstreamConnection(const net::any_io_executor& ex) : stream(ex) {}
  explicit UpstreamConnection(tcp::socket socket) : stream(std::move(socket)) {}
  TcpStream stream;
  beast::flat_buffer buffer;  ///< bytes read past a response (must be empty to pool the connection)
  bool reused = false;        ///< came from the pool: an early EOF may be the backend closing it idle
  std::chrono::steady_clock::time_point idle_since{};  ///< when it was given back to the pool
};

using ConnectionPtr = std::unique_ptr<UpstreamConnection>;

class ConnectionPool final {
 public:
  explicit ConnectionPool(std::size_t max_idle_per_backend = 128) : max_idle_(max_idle_per_backend) {}

  /// A live idle connection to backend `uid` (marked reused), or null when none passes the peek check.
  [[nodiscard]] ConnectionPtr checkout(std::uint64_t uid);
  /// Keeps `conn` for reuse (only after a complete exchange with an empty read buffer); drops it when the
  /// backend already has max_idle connections.
  void give_back(std::uint64_t uid, ConnectionPtr conn);
  /// Closes every idle connection (shutdown).
  void clear() { idle_.clear(); }
  [[nodiscard]] std::size_t idle_count() const;

 private:
  std::size_t max_idle_;
  std::unordered_map<std::uint64_t, std::vector<ConnectionPtr>> idle_;
};

/// Opens a new connection to `backend` on `ex` within `timeout` (TCP_NODELAY set); for an `https://`
/// backend also the TLS handshake, after which the connection's stream is the plain end of a socket pair
/// relayed to the TLS stream (tls/upstream_tls.hpp), so callers never see the difference. On failure
/// returns null and sets `ec` (beast::error::timeout when the deadline passed).
net::awaitable<ConnectionPtr> connect_backend(net::any_io_executor ex, std::shared_ptr<const Backend> backend,
                                              std::chrono::nanoseconds timeout, error_code& ec);

}  // namespace corral::upstream
