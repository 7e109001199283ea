#include "tls/tls_terminator.hpp"

// GCC 12 reports Asio's coroutine frame allocation as a -Wmismatched-new-delete false positive (as in
// client_connection.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <array>

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/ssl.hpp>

namespace corral::tls {
namespace {

using namespace net::experimental::awaitable_operators;
using SslStream = beast::ssl_stream<beast::tcp_stream>;
using LocalSocket = net::local::stream_protocol::socket;

// After the plain side is done, how long a client that keeps its side open may still send before the TCP
// connection is closed under it (the lingering close of HTTP servers, at the TLS layer).
constexpr std::chrono::seconds kLinger{5};

struct Relay {
  SslStream& tls;
  LocalSocket& plain;
  net::steady_timer linger;
  bool client_done = false;
};

// Client -> ClientConnection. Ends when the client closes or fails, or the plain side stops reading.
net::awaitable<void> to_plain(Relay& r) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await r.tls.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    auto [wec, w] = co_await net::async_write(r.plain, net::buffer(buf.data(), n), use_tuple);
    if (wec) break;
  }
  error_code ec;
  r.plain.shutdown(net::socket_base::shutdown_send, ec);  // the connection code sees the client's EOF
  r.client_done = true;
  r.linger.cancel();
}

// ClientConnection -> client. Ends when the connection code closes (or half-closes) its end.
net::awaitable<void> to_tls(Relay& r) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await r.plain.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    auto [wec, w] = co_await net::async_write(r.tls, net::buffer(buf.data(), n), use_tuple);
    if (wec) break;
  }
  auto& tcp_socket = beast::get_lowest_layer(r.tls).socket();
  error_code ec;
  // No close_notify: every response is length- or chunk-delimited, and a close_notify exchange would need
  // the read side that to_plain owns. A FIN after the last record is what clients act on.
  tcp_socket.shutdown(net::socket_base::shutdown_send, ec);
  if (!r.client_done) {
    r.linger.expires_after(kLinger);
    co_await r.linger.async_wait(use_tuple);
  }
  tcp_socket.close(ec);
  r.plain.close(ec);
}

}  // namespace

net::awaitable<void> terminate(tcp::socket socket, std::shared_ptr<SslContext> context,
                               std::chrono::nanoseconds handshake_timeout,
                               std::function<void(tcp::socket plain)> serve) {
  const auto ex = socket.get_executor();
  SslStream tls(beast::tcp_stream(std::move(socket)), *context);
  beast::get_lowest_layer(tls).expires_after(handshake_timeout);
  auto [hec] = co_await tls.async_handshake(net::ssl::stream_base::server, use_tuple);
  if (hec) {
    beast::get_lowest_layer(tls).close();
    co_return;
  }
  beast::get_lowest_layer(tls).expires_never();

  LocalSocket mine(ex);
  LocalSocket theirs(ex);
  error_code ec;
  net::local::connect_pair(mine, theirs, ec);
  tcp::socket plain(ex);
  if (!ec) plain.assign(tcp::v4(), theirs.release(), ec);
  if (ec) {
    beast::get_lowest_layer(tls).close();
    co_return;
  }
  serve(std::move(plain));
  Relay relay{tls, mine, net::steady_timer(ex)};
  co_await (to_plain(relay) && to_tls(relay));
}

}  // namespace corral::tls
