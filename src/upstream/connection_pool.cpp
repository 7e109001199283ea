#include "upstream/connection_pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "tls/upstream_tls.hpp"
#include "upstream/backend.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::upstream {
namespace {

// Below this idle age a pooled connection is trusted without the peek (see the header).
constexpr std::chrono::milliseconds kTrustedIdle{250};
// The prune period's bounds (half of upstream_idle between them): a test's short upstream_idle must not
// spin, and a long one is still kept to within 15 s.
constexpr std::chrono::milliseconds kMinTidyPeriod{10};
constexpr std::chrono::seconds kMaxTidyPeriod{15};

// h2o's check: a pooled socket must have nothing to read. EAGAIN = alive and quiet; 0 = the backend
// closed it; data = a stray response byte, so the connection's framing can no longer be trusted. One
// idle for `max_age` or more is past timeouts.upstream_idle and is not used again.
bool alive(UpstreamConnection& conn, SteadyClock::time_point now, std::chrono::nanoseconds max_age) {
  if (conn.buffer.size() != 0) return false;
  auto& socket = conn.stream.socket();
  if (!socket.is_open()) return false;
  if (now - conn.idle_since < kTrustedIdle) return true;
  if (now - conn.idle_since >= max_age) return false;
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
    if (alive(*conn, now, max_age_)) {
      conn->reused = true;
      return conn;
    }
  }
  return nullptr;
}

void ConnectionPool::give_back(std::uint64_t uid, ConnectionPtr conn) {
  if (!conn || conn->buffer.size() != 0) return;
  auto it = idle_.find(uid);
  if (it == idle_.end()) {
    if (pruned_ && !std::binary_search(live_.begin(), live_.end(), uid)) return;  // its backend is gone
    it = idle_.try_emplace(uid).first;
  }
  auto& stack = it->second;
  if (stack.size() >= max_idle_) return;
  conn->stream.expires_never();
  conn->idle_since = steady_now();
  stack.push_back(std::move(conn));
}

std::size_t ConnectionPool::prune(std::span<const std::uint64_t> live, SteadyClock::time_point now,
                                  std::chrono::nanoseconds max_idle) {
  live_.assign(live.begin(), live.end());
  pruned_ = true;
  max_age_ = max_idle;
  std::size_t closed = 0;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& stack = it->second;
    if (!std::binary_search(live_.begin(), live_.end(), it->first)) {
      closed += stack.size();
      it = idle_.erase(it);
      continue;
    }
    const auto fresh = std::find_if(stack.begin(), stack.end(),
                                    [&](const ConnectionPtr& c) { return now - c->idle_since < max_idle; });
    closed += static_cast<std::size_t>(fresh - stack.begin());
    stack.erase(stack.begin(), fresh);
    ++it;
  }
  return closed;
}

std::size_t ConnectionPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [uid, stack] : idle_) n += stack.size();
  return n;
}

std::size_t tidy_pool(ConnectionPool& pool, const Snapshot& snapshot) {
  std::vector<std::uint64_t> live;
  live.reserve(2 * snapshot.backends.size());
  for (const auto& b : snapshot.backends) {
    live.push_back(b->uid);
    if (b->agent) live.push_back(b->agent->uid);  // read through the control thread's pool
  }
  std::sort(live.begin(), live.end());
  return pool.prune(live, steady_now(), snapshot.config->timeouts.upstream_idle);
}

net::awaitable<void> tidy_pool_loop(ConnectionPool& pool, const BackendRegistry& registry) {
  SteadyTimer timer(co_await net::this_coro::executor);
  for (;;) {
    std::chrono::nanoseconds period;
    {
      // Not held across the wait: a removed backend's objects go with the last request that uses them.
      const SnapshotPtr snapshot = registry.current();
      (void)tidy_pool(pool, *snapshot);
      period = std::clamp<std::chrono::nanoseconds>(snapshot->config->timeouts.upstream_idle / 2, kMinTidyPeriod,
                                                    kMaxTidyPeriod);
    }
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait();
    if (ec) co_return;
  }
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
