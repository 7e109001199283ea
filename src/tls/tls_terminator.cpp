#include "tls/tls_terminator.hpp"

// GCC 12 reports Asio's coroutine frame allocation as a -Wmismatched-new-delete false positive (as in
// client_connection.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "tls/ssl_relay.hpp"

namespace corral::tls {
namespace {

// After the plain side is done, how long a client that keeps its side open may still send before the TCP
// connection is closed under it (the lingering close of HTTP servers, at the TLS layer).
constexpr std::chrono::seconds kLinger{5};

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
  tcp::socket plain(ex);
  if (!make_plain_pair(ex, mine, plain)) {
    beast::get_lowest_layer(tls).close();
    co_return;
  }
  serve(std::move(plain));
  co_await relay(tls, mine, kLinger);
}

}  // namespace corral::tls
