#include "gateway/request_context.hpp"

#include "http/error_response.hpp"

namespace corral::gateway {

net::awaitable<bool> write_all(TcpStream& client, std::string_view bytes) {
  client.expires_after(std::chrono::seconds(60));
  auto [ec, n] = co_await net::async_write(client, net::buffer(bytes.data(), bytes.size()));
  co_return !ec;
}

net::awaitable<Completion> answer_error(ClientRequest& req, ErrorKind kind, std::string_view detail,
                                        std::uint32_t retry_after) {
  const ProxyError error{kind, std::string(detail)};
  http1::ResponseOptions o;
  o.version = req.msg.version();
  o.keep_alive = req.keep_alive;
  o.head_only = req.msg.method() == http::verb::head;
  o.retry_after = retry_after;
  o.request_id = req.request_id;
  if (error.kind == ErrorKind::kMethodNotAllowed) o.allow = req.route.allow;
  const std::string bytes = http1::error_response(error, req.route.family, o);
  const bool ok = co_await write_all(req.client, bytes);
  co_return Completion{ok && req.keep_alive};
}

}  // namespace corral::gateway
