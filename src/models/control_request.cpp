#include "models/control_request.hpp"

#include <boost/json.hpp>

#include "upstream/backend.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::models {

net::awaitable<ControlAnswer> post_json(std::shared_ptr<const upstream::Backend> backend, std::string target,
                                        std::string body, std::chrono::nanoseconds timeout) {
  auto ex = co_await net::this_coro::executor;
  error_code ec;
  upstream::ConnectionPtr conn = co_await upstream::connect_backend(ex, backend, timeout, ec);
  if (!conn) co_return ControlAnswer{};
  http::request<http::string_body> req{http::verb::post, backend->path_prefix + target, 11};
  req.set(http::field::host, backend->authority);
  req.set(http::field::user_agent, "corral");
  req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = std::move(body);
  req.prepare_payload();
  conn->stream.expires_after(timeout);
  auto [wec, wn] = co_await http::async_write(conn->stream, req);
  if (wec) co_return ControlAnswer{};
  http::response_parser<http::string_body> parser;
  parser.body_limit(1024 * 1024);
  auto [rec, rn] = co_await http::async_read(conn->stream, conn->buffer, parser);
  if (rec) co_return ControlAnswer{};
  co_return ControlAnswer{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
}

std::string keep_alive_body(std::string_view model, double keep_alive_seconds) {
  boost::json::object o;
  o["model"] = model;
  o["keep_alive"] = keep_alive_seconds;
  return boost::json::serialize(o);
}

}  // namespace corral::models
