// Test helper: a small blocking HTTP/1.1 client over a plain socket, so tests see exactly what went over
// the wire. One HttpConnection is one TCP connection (keep-alive by default): whole requests, a
// streaming reader that hands out HTTP chunks, NDJSON lines or SSE events one at a time, and a raw mode
// (send exact bytes, read until the peer closes) for malformed-input tests. Every read has a deadline
// and throws std::runtime_error when it passes, so a broken server fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  /// The first header named `name` (case-insensitive), "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] bool has_header(std::string_view name) const;
};

class HttpConnection final {
 public:
  /// Connects to "HOST:PORT" (IPv4 or [IPv6]). Throws when it cannot.
  explicit HttpConnection(const std::string& address, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends a request and reads the whole response. Adds Host and, with a body, Content-Length.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {});

  /// Sends a request and reads only the response head; then read the body with the next_* calls.
  HttpResponse start(std::string_view method, std::string_view target, std::string_view body = {},
                     const Headers& headers = {});
  /// The next piece of body: one HTTP chunk's data for chunked bodies, else what one read returns.
  /// nullopt once the body is complete.
  std::optional<std::string> next_chunk();
  /// The next `\n`-terminated line of the body, without the newline; nullopt at the end of the body.
  std::optional<std::string> next_line();
  /// The next SSE event (the text before a blank line, e.g. "data: {...}"); nullopt at the end.
  std::optional<std::string> next_event();
  /// True once the terminating chunk (or the last Content-Length byte) was read.
  [[nodiscard]] bool body_complete() const { return body_done_; }

  /// Sends bytes as they are.
  void send_raw(std::string_view bytes);
  /// Reads until the peer closes (or the deadline passes: then returns what arrived).
  std::string read_until_close(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  /// True when the peer has closed the connection (a read returns EOF within `wait`).
  bool peer_closed(std::chrono::milliseconds wait = std::chrono::seconds(10));

  /// Closes the socket at once (a client that goes away).
  void close();
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

 private:
  bool fill(bool throw_on_timeout = true);
  std::string take_line_raw();
  void read_head(HttpResponse& out);
  std::optional<std::string> read_body_piece();
  void send_request(std::string_view method, std::string_view target, std::string_view body, const Headers& headers);

  int fd_ = -1;
  std::string host_;
  std::chrono::milliseconds timeout_;
  std::string in_;        // raw bytes received, not yet consumed
  std::string decoded_;   // body bytes not yet handed out by next_line / next_event
  enum class Framing { kNone, kLength, kChunked, kUntilClose } framing_ = Framing::kNone;
  std::uint64_t remaining_ = 0;
  bool body_done_ = true;
  bool head_request_ = false;
};

/// One-shot helpers over a fresh connection.
HttpResponse http_request(const std::string& address, std::string_view method, std::string_view target,
                          std::string_view body = {}, const Headers& headers = {});
HttpResponse http_get(const std::string& address, std::string_view target);
HttpResponse http_post(const std::string& address, std::string_view target, std::string_view body);
/// Sends `bytes` on a new connection and returns everything received until the server closes.
std::string raw_exchange(const std::string& address, std::string_view bytes,
                         std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace corral::testing
