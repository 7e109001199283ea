// One client connection of the simulator and the I/O helpers its handlers share: whole responses in a
// single write, streamed chunks each in their own write (never batched), the disconnect watch used while
// a request waits or generates, and the waiter a queued request parks on. Everything here runs on the
// connection's executor (a strand when --threads > 1).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "common/asio.hpp"
#include "sim/scheduler.hpp"

namespace corral::sim {

class Connection final {
 public:
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}

  tcp::socket socket;
  beast::flat_buffer buffer;
  std::string out;      ///< bytes to write next (head and/or chunk)
  std::string body;     ///< a response body being built
  std::string scratch;  ///< simdjson's padded input
  std::string key;      ///< the request's model key
  std::string text;     ///< accumulated response text (stream:false)
  std::string line;     ///< one NDJSON line / SSE event being built
  std::vector<int> context;
  simdjson::dom::parser json;
  bool close = false;      ///< send Connection: close and close after this response
  bool dead = false;       ///< the peer is gone or we cut the connection: stop at once
  bool head_only = false;  ///< a HEAD request: send the head without the body

  /// Writes `out` and clears it. False (and `dead`) when the peer is gone.
  net::awaitable<bool> flush();

  /// A whole response: head plus `payload` in one write.
  net::awaitable<bool> respond(int status, std::string_view content_type, std::string_view payload,
                               std::string_view extra_headers = {});

  /// Starts a chunked response (the head goes out with the first chunk).
  void begin_stream(std::string_view content_type);
  /// Sends one chunk in its own write (with the head when it is the first).
  net::awaitable<bool> send_chunk(std::string_view data);
  /// Sends the terminating zero-length chunk.
  net::awaitable<bool> end_stream();
  [[nodiscard]] bool streaming() const { return stream_started_; }

 private:
  bool stream_started_ = false;
};

/// Completes when the client has gone (EOF or error on the socket) and never when it has sent more bytes
/// (a pipelined request: those stay for the next read). Run it with `||` beside the work: the work's
/// finishing cancels the watch, so the next read never overlaps it.
net::awaitable<void> watch_disconnect(tcp::socket& socket);

/// A queued request's parking spot: wake() posts to the connection's executor and cancels the timer
/// the request sleeps on.
class ConnWaiter final : public Waiter, public std::enable_shared_from_this<ConnWaiter> {
 public:
  explicit ConnWaiter(const net::any_io_executor& ex) : ex_(ex), timer_(ex) {}
  void wake(const Grant& grant) override;
  /// True once woken; false when the wait was cancelled (the client left).
  net::awaitable<bool> wait();

 private:
  net::any_io_executor ex_;
  SteadyTimer timer_;
  bool notified_ = false;
};

}  // namespace corral::sim
