// Short names for the Asio and Beast namespaces used everywhere in Corral, and the
// default-token stream types: every socket and timer operation completes with a tuple
// (error_code first) instead of throwing, so expected failures (EOF, reset, timeout,
// operation_aborted) are values on the data plane.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace corral {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

/// Completion token: `auto [ec, n] = co_await op(..., use_tuple);`
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// Streams and timers whose operations default to `use_tuple`.
using TcpStream = net::as_tuple_t<net::use_awaitable_t<>>::as_default_on_t<beast::tcp_stream>;
using TcpAcceptor = net::as_tuple_t<net::use_awaitable_t<>>::as_default_on_t<tcp::acceptor>;
using SteadyTimer = net::as_tuple_t<net::use_awaitable_t<>>::as_default_on_t<net::steady_timer>;

}  // namespace corral
