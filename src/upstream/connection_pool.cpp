#include "upstream/connection_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "common/clock.hpp"
#include "tls/upstream_tls.hpp"
#include "upstream/backend.hpp"

namespace corral::upstream {
namespace {

// Below this idle age a pooled connection is trusted without the peek (see the header).
constexpr std::chrono::milliseconds kTrustedIdle{250};

// h2o's check: a pooled socket must have nothing to read. EAGAIN = alive and quiet; 0 = the backend
// closed it; data = a stray response byte, so the connection's framing can no longer be trusted.
bool alive(UpstreamConnection& conn, SteadyClock::time_point now) {
  if (conn.buffer.size() != 0) return false;
  auto& socket = conn.stream.socket();
  if (!socket.is_open()) return false;
  if (now - conn.idle_since < kTrustedIdle) return true;
  char byte;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// The TLS part of connect_backend, within what is left of its deadline.
net::awaitable<ConnectionPtr> handshake(ConnectionPtr tcp_conn, std::shared_ptr<const Backend> backend,
                                        std::chrono::nanoseconds left, error_code& ec) {
  if (left <= std::chrono::nanoseconds::zero()) {
    ec = beast::error::timeout;
    co_return nullptr;
  }
  tcp::socket socket = tcp_conn->stream.release_socket();
  auto plain = co_await tls::connect_upstream(std::move(socket), backend->tls, left, ec);
  if (!plain) co_return nullptr;
  co_return std::make_unique<UpstreamConnection>(std::move(*plain));
}

}  // namespace

ConnectionPtr ConnectionPool::checkout(std::uint64_t uid) {
  auto it = idle_.find(uid);
  if (it == idle_.end()) return nullptr;
  auto& stack = it->second;
  const auto now = steady_now();
  while (!stack.empty()) {
    ConnectionPtr conn = std::move(stack.back());
    stack.pop_back();
    if (alive(*conn, now)) {
      conn->reused = true;
      return conn;
    }
  }
  return nullptr;
}

void ConnectionPool::give_back(std::uint64_t uid, ConnectionPtr conn) {
  if (!conn || conn->buffer.size() != 0) return;
  auto& stack = idle_[uid];
  if (stack.size() >= max_idle_) return;
  conn->stream.expires_never();
  conn->idle_since = steady_now();
  stack.push_back(std::move(conn));
}

std::size_t ConnectionPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [uid, stack] : idle_) n += stack.size();
  return n;
}

net::awaitable<ConnectionPtr> connect_backend(net::any_io_executor ex, std::shared_ptr<const Backend> backend,
                                              std::chrono::nanoseconds timeout, error_code& ec) {
  if (backend->endpoints.empty()) {
    ec = net::error::host_not_found;
    co_return nullptr;
  }
  const auto started = steady_now();
  auto conn = std::make_unique<UpstreamConnection>(ex);
  conn->stream.expires_after(timeout);
  auto [cec, ep] = co_await conn->stream.async_connect(backend->endpoints);
  if (cec) {
    ec = cec;
    co_return nullptr;
  }
  error_code ignored;
  conn->stream.socket().set_option(tcp::no_delay(true), ignored);
  if (backend->tls) co_return co_await handshake(std::move(conn), backend, timeout - (steady_now() - started), ec);
  ec = {};
  co_return conn;
}

}  // namespace corral::upstream
