// Test helper: a small blocking HTTP/1.1 client over a plain socket, so tests see exactly what went over
// the wire. One HttpConnection is one TCP connection (keep-alive by default): whole requests; a streaming
// reader that hands out the body as it arrives (HTTP chunks, NDJSON lines or SSE events, one at a time)
// and tells a complete body from one cut off by the peer; and a raw mode (send exact bytes, read a
// response or everything until the peer closes) for malformed-input tests. Every read has a deadline
// (kDeadline unless set) and throws std::runtime_error when it passes, so a broken server fails a test
// instead of hanging it; the deadline is never what a test asserts on.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/poll.hpp"

namespace corral::testing {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
  /// The server keeps the connection open after this response (HTTP/1.1 without `Connection: close`,
  /// or HTTP/1.0 with `Connection: keep-alive`).
  bool keep_alive = false;
  /// The first header named `name` (case-insensitive), "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] bool has_header(std::string_view name) const;
};

class HttpConnection final {
 public:
  /// Connects to "HOST:PORT" (IPv4 or [IPv6]). Throws when it cannot.
  explicit HttpConnection(const std::string& address, std::chrono::milliseconds timeout = kDeadline);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends a request and reads the whole response. Adds Host and, with a body or on POST/PUT,
  /// Content-Length and `Content-Type: application/json` (unless `headers` has them). Throws when the
  /// body is cut off.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {});

  /// Sends a request and reads only the response head; then read the body with the next_* calls.
  HttpResponse start(std::string_view method, std::string_view target, std::string_view body = {},
                     const Headers& headers = {});
  /// The next piece of body: one HTTP chunk's data for chunked bodies, else what one read returns.
  /// nullopt once the body is complete or cut off (see body_complete() and cut()).
  std::optional<std::string> next_chunk();
  /// The next `\n`-terminated line of the body, without the newline; nullopt at the end of the body.
  /// A last line without a newline (a cut stream) is returned as it is.
  std::optional<std::string> next_line();
  /// The next SSE event (the text before a blank line, e.g. "data: {...}"); nullopt at the end.
  std::optional<std::string> next_event();
  /// True once the terminating chunk (or the last Content-Length byte) was read.
  [[nodiscard]] bool body_complete() const { return body_done_; }
  /// True when the peer closed the connection inside the body (no terminating chunk).
  [[nodiscard]] bool cut() const { return cut_; }

  /// Sends bytes as they are.
  void send_raw(std::string_view bytes);
  /// Reads one whole response (after send_raw); a `100 Continue` is skipped.
  HttpResponse read_response();
  /// Reads until the peer closes (or the deadline passes: then returns what arrived).
  std::string read_until_close(std::chrono::milliseconds deadline = kDeadline);
  /// True when the peer has closed the connection (a read returns EOF within `wait`).
  bool peer_closed(std::chrono::milliseconds wait = kDeadline);

  /// Closes the socket at once (a client that goes away).
  void close();
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

 private:
  bool fill(bool throw_on_timeout = true);
  std::optional<std::string> take_line();  // nullopt on EOF
  std::string take_head_line();            // throws on EOF
  void read_head(HttpResponse& out);
  std::optional<std::string> read_body_piece();
  void read_whole_body(HttpResponse& r);
  void send_request(std::string_view method, std::string_view target, std::string_view body, const Headers& headers);

  int fd_ = -1;
  std::string host_;
  std::chrono::milliseconds timeout_;
  std::string in_;        // raw bytes received, not yet consumed
  std::string decoded_;   // body bytes not yet handed out by next_line / next_event
  enum class Framing { kNone, kLength, kChunked, kUntilClose } framing_ = Framing::kNone;
  std::uint64_t remaining_ = 0;
  bool body_done_ = true;
  bool cut_ = false;
  bool head_request_ = false;
};

/// One-shot helpers over a fresh connection.
HttpResponse http_request(const std::string& address, std::string_view method, std::string_view target,
                          std::string_view body = {}, const Headers& headers = {});
HttpResponse http_get(const std::string& address, std::string_view target);
HttpResponse http_post(const std::string& address, std::string_view target, std::string_view body);
/// Sends `bytes` on a new connection and returns everything received until the server closes.
std::string raw_exchange(const std::string& address, std::string_view bytes,
                         std::chrono::milliseconds deadline = kDeadline);

}  // namespace corral::testing
