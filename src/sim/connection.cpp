#include "sim/connection.hpp"

#include "sim/wire_format.hpp"

namespace corral::sim {

net::awaitable<bool> Connection::flush() {
  auto [ec, n] = co_await net::async_write(socket, net::buffer(out), use_tuple);
  out.clear();
  if (ec) dead = true;
  co_return !ec;
}

net::awaitable<bool> Connection::respond(int status, std::string_view content_type, std::string_view payload,
                                         std::string_view extra_headers) {
  append_head(out, status, content_type, payload.size(), close, extra_headers);
  if (!head_only) out += payload;
  co_return co_await flush();
}

void Connection::begin_stream(std::string_view content_type) {
  out.clear();
  append_head(out, 200, content_type, std::nullopt, close);
  stream_started_ = false;
}

net::awaitable<bool> Connection::send_chunk(std::string_view data) {
  stream_started_ = true;
  append_chunk(out, data);
  co_return co_await flush();
}

net::awaitable<bool> Connection::end_stream() {
  out += kLastChunk;
  stream_started_ = false;
  co_return co_await flush();
}

net::awaitable<void> watch_disconnect(tcp::socket& socket) {
  auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
  if (ec == net::error::operation_aborted) co_return;  // the work finished first; our result is ignored
  error_code aec;
  if (!ec && socket.available(aec) > 0 && !aec) {
    // Pipelined bytes, not a hang-up: stay pending until the work finishes and cancels us.
    SteadyTimer forever(socket.get_executor());
    forever.expires_at(SteadyTimer::time_point::max());
    co_await forever.async_wait();
  }
}

void ConnWaiter::wake(const Grant&) {
  net::post(ex_, [self = shared_from_this()] {
    self->notified_ = true;
    self->timer_.cancel();
  });
}

net::awaitable<bool> ConnWaiter::wait() {
  while (!notified_) {
    timer_.expires_at(SteadyTimer::time_point::max());
    auto [ec] = co_await timer_.async_wait();
    if (notified_) break;
    if (ec == net::error::operation_aborted) co_return false;
  }
  co_return true;
}

}  // namespace corral::sim
