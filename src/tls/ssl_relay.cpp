#include "tls/ssl_relay.hpp"

// GCC 12 reports Asio's coroutine frame allocation as a -Wmismatched-new-delete false positive (as in
// client_connection.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <array>

#include <boost/asio/local/connect_pair.hpp>

namespace corral::tls {
namespace {

using namespace net::experimental::awaitable_operators;

struct Relay {
  SslStream& tls;
  LocalSocket& plain;
  std::chrono::nanoseconds linger_for;
  net::steady_timer linger;
  bool peer_done = false;
};

// Copies `from` -> `to` until a read or a write fails (EOF included).
template <class From, class To>
net::awaitable<void> copy(From& from, To& to) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    auto [wec, w] = co_await net::async_write(to, net::buffer(buf.data(), n), use_tuple);
    if (wec) break;
  }
}

// TLS peer -> plain side. Ends when the peer closes or fails, or the plain side stops reading.
net::awaitable<void> to_plain(Relay& r) {
  co_await copy(r.tls, r.plain);
  error_code ec;
  r.plain.shutdown(net::socket_base::shutdown_send, ec);  // the plain side sees the peer's EOF
  r.peer_done = true;
  r.linger.cancel();
}

// Plain side -> TLS peer. Ends when the plain side closes (or half-closes) its end.
net::awaitable<void> to_tls(Relay& r) {
  co_await copy(r.plain, r.tls);
  auto& tcp_socket = beast::get_lowest_layer(r.tls).socket();
  error_code ec;
  // No close_notify: every HTTP message is length- or chunk-delimited, and a close_notify exchange would
  // need the read side that to_plain owns. A FIN after the last record is what peers act on.
  tcp_socket.shutdown(net::socket_base::shutdown_send, ec);
  if (!r.peer_done && r.linger_for.count() > 0) {
    r.linger.expires_after(r.linger_for);
    co_await r.linger.async_wait(use_tuple);
  }
  tcp_socket.close(ec);
  r.plain.close(ec);
}

}  // namespace

bool make_plain_pair(const net::any_io_executor& ex, LocalSocket& mine, tcp::socket& plain) {
  LocalSocket theirs(ex);
  error_code ec;
  net::local::connect_pair(mine, theirs, ec);
  if (!ec) plain.assign(tcp::v4(), theirs.release(), ec);
  return !ec;
}

net::awaitable<void> relay(SslStream& tls, LocalSocket& plain, std::chrono::nanoseconds linger) {
  Relay r{tls, plain, linger, net::steady_timer(co_await net::this_coro::executor)};
  co_await (to_plain(r) && to_tls(r));
}

}  // namespace corral::tls
