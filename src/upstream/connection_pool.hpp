// Keep-alive connections to backends, one pool per worker thread (and one for the control thread), so a
// pooled socket never leaves the thread that made it. Per backend: a LIFO stack of idle connections,
// capped; checkout() peeks one byte without blocking (h2o's socketpool check): would-block = alive, EOF
// or unexpected data = discard. The peek is skipped for a connection given back moments ago: that is
// the hot path under load, where the check would cost one syscall per request (~10% of them) to guard
// against a close that backends do not make within a second of answering, and the exchange replays a
// request once on a fresh connection when a reused one fails before any response byte anyway. "Return"
// gives a connection back after a clean exchange; anything else just drops it (closing is Ollama's
// cancel signal). Single-threaded: no locks.
// Pruning: Ollama never closes an idle connection, and a backend's uid is never used again once a reload
// removed it (adding it back makes a new Backend), so nothing would ever take those connections out.
// prune() closes what idled past timeouts.upstream_idle and everything of a backend that left the
// configuration, and from then on refuses the connections of such a backend when they come back from
// requests that were still running; tidy_pool_loop() runs it on the pool's own thread, and a reload
// runs it at once. (A backend a reload adds may lose its first connection on a thread whose prune has
// not seen it yet: one connection, once.)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"

namespace corral::upstream {

class Backend;
class BackendRegistry;
struct Snapshot;

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

  /// A live idle connection to backend `uid` (marked reused), or null when none passes the peek check or
  /// all are older than the last prune()'s `max_idle`.
  [[nodiscard]] ConnectionPtr checkout(std::uint64_t uid);
  /// Keeps `conn` for reuse (only after a complete exchange with an empty read buffer); drops it when the
  /// backend already has max_idle connections, or when it was not among the live backends of the last
  /// prune() (a request still running when its backend left the configuration hands it back only now).
  void give_back(std::uint64_t uid, ConnectionPtr conn);
  /// Takes `live` (sorted uids) as the backends that may keep connections: closes the idle ones of every
  /// other backend and refuses theirs from then on; closes every connection idle since before
  /// `now - max_idle`, and checkout() passes over such ones from now on. Returns how many it closed.
  /// Until the first call, every backend may keep connections.
  std::size_t prune(std::span<const std::uint64_t> live, SteadyClock::time_point now, std::chrono::nanoseconds max_idle);
  /// Closes every idle connection (shutdown).
  void clear() { idle_.clear(); }
  [[nodiscard]] std::size_t idle_count() const;

 private:
  std::size_t max_idle_;
  std::chrono::nanoseconds max_age_ = std::chrono::nanoseconds::max();
  bool pruned_ = false;
  std::vector<std::uint64_t> live_;  ///< sorted; read only when a backend gets its first stack
  /// Per backend, given back in time order (the oldest first). A stack stays while its backend is live,
  /// so the live check above runs once per backend, not per request.
  std::unordered_map<std::uint64_t, std::vector<ConnectionPtr>> idle_;
};

/// Prunes `pool` to `snapshot`: its backends (and their agents) are the live ones, its
/// timeouts.upstream_idle the age limit. On the pool's thread. Returns how many connections it closed.
std::size_t tidy_pool(ConnectionPool& pool, const Snapshot& snapshot);

/// tidy_pool() against the registry's current snapshot, at once and then every half of
/// timeouts.upstream_idle (at most every 15 s), until the pool's io_context stops. Spawn it on the thread
/// that owns `pool`; both must outlive the io_context's run.
net::awaitable<void> tidy_pool_loop(ConnectionPool& pool, const BackendRegistry& registry);

/// Opens a new connection to `backend` on `ex` within `timeout` (TCP_NODELAY set); for an `https://`
/// backend also the TLS handshake, after which the connection's stream is the plain end of a socket pair
/// relayed to the TLS stream (tls/upstream_tls.hpp), so callers never see the difference. On failure
/// returns null and sets `ec` (beast::error::timeout when the deadline passed).
net::awaitable<ConnectionPtr> connect_backend(net::any_io_executor ex, std::shared_ptr<const Backend> backend,
                                              std::chrono::nanoseconds timeout, error_code& ec);

}  // namespace corral::upstream
