// Relays a response from a backend to the client as it arrives (style.md section 8): the transformed
// head first, then a loop of http::async_read_some into a fixed buffer and one write per piece, with
// the stream-idle timeout on every upstream read and no total timeout. Rules pinned by unit tests:
//  - never hand the serializer zero bytes with more=true (a chunked serializer would emit the last-chunk
//    marker and end the client's body early): a read that yields only framing is skipped;
//  - the terminal chunk is written deliberately, and only when the upstream message really ended;
//  - on an upstream failure nothing more is written here: the caller may add one error line
//    (error_tail) and must then close the client connection, so the truncation stays visible.
// Templated on the stream types so unit tests can drive it with beast::test::stream.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "proxy/final_object.hpp"

namespace corral::proxy {

/// The body's streaming format, from the response Content-Type.
enum class StreamFormat { kOther, kNdjson, kSse };
[[nodiscard]] StreamFormat stream_format(std::string_view content_type);

enum class RelayEnd {
  kComplete,        ///< the upstream message ended and the client got all of it
  kUpstreamFailed,  ///< read error or EOF mid-body (truncated)
  kUpstreamIdle,    ///< no byte within stream_idle mid-body
  kClientFailed,    ///< the client write failed or timed out
};

struct RelayResult {
  RelayEnd end = RelayEnd::kComplete;
  std::uint64_t body_bytes = 0;  ///< body bytes handed to the client
  std::uint32_t writes = 0;      ///< body writes (pieces) to the client
  char last[2] = {0, 0};         ///< the last two body bytes written (last[1] is the very last)
  SteadyClock::time_point first_write{};  ///< when the first body byte was written; epoch when none
  error_code ec;
};

struct RelayTimeouts {
  std::chrono::nanoseconds stream_idle;
  std::chrono::nanoseconds client_write;
};

/// The line or event to append after an upstream failure mid-stream, or "" when the format has none:
/// NDJSON `{"error":"..."}\n` (Ollama's own convention), SSE `data: {"error":{...}}\n\n` (raised by the
/// openai client). Preceded by the newline(s) needed when the stream stopped inside a line or event.
[[nodiscard]] std::string error_tail(StreamFormat format, std::string_view message, const char (&last)[2]);

namespace detail {
template <class S>
void set_expiry(S& stream, std::chrono::nanoseconds d) {
  if constexpr (requires { stream.expires_after(d); }) stream.expires_after(d);
}

inline void remember_tail(RelayResult& r, const char* data, std::size_t n) {
  if (n >= 2) {
    r.last[0] = data[n - 2];
    r.last[1] = data[n - 1];
  } else if (n == 1) {
    r.last[0] = r.last[1];
    r.last[1] = data[0];
  }
}
}  // namespace detail

/// Writes one body piece to the client through `sr` (need_buffer is success). `size` 0 is allowed only
/// with more=false (the terminal chunk).
template <class Client>
net::awaitable<error_code> write_piece(Client& client, http::response_serializer<http::buffer_body>& sr,
                                       http::response<http::buffer_body>& res, const char* data, std::size_t size,
                                       bool more, std::chrono::nanoseconds timeout) {
  res.body().data = size == 0 ? nullptr : const_cast<char*>(data);
  res.body().size = size;
  res.body().more = more;
  detail::set_expiry(client, timeout);
  auto [ec, n] = co_await http::async_write(client, sr, use_tuple);
  if (ec == http::error::need_buffer) ec = {};
  co_return ec;
}

/// Writes `res`'s head, then relays the body of the upstream message whose head `p` has read. `head_only`
/// (a HEAD request) writes just the head. `buf` is the relay buffer (16 KiB is plenty). `tail`, when
/// given, receives every body byte written (it keeps the last ones, for the final object's counters).
template <class Client, class Upstream, class UpBuffer>
net::awaitable<RelayResult> relay_response(Client& client, http::response_serializer<http::buffer_body>& sr,
                                           http::response<http::buffer_body>& res, Upstream& up, UpBuffer& up_buffer,
                                           http::response_parser<http::buffer_body>& p, RelayTimeouts timeouts,
                                           std::span<char> buf, bool head_only, TailWindow* tail = nullptr) {
  RelayResult r;
  // When body bytes came in with the head (a small answer, or a stream's first chunk), the head is not
  // written alone: the first write_piece sends head and piece in one writev. That saves a syscall per
  // request (a third of the client-side writes on small answers) and delays nothing, since those bytes
  // are already here. Otherwise the head goes out at once, so a client sees it before a slow first chunk.
  if (head_only || up_buffer.size() == 0 || p.is_done()) {
    detail::set_expiry(client, timeouts.client_write);
    auto [ec, n] = co_await http::async_write_header(client, sr, use_tuple);
    if (ec) {
      r.end = RelayEnd::kClientFailed;
      r.ec = ec;
      co_return r;
    }
  }
  if (head_only) co_return r;
  while (!p.is_done()) {
    p.get().body().data = buf.data();
    p.get().body().size = buf.size();
    detail::set_expiry(up, timeouts.stream_idle);
    auto [rec, rn] = co_await http::async_read_some(up, up_buffer, p, use_tuple);
    if (rec == http::error::need_buffer) rec = {};
    if (rec) {
      r.end = rec == beast::error::timeout ? RelayEnd::kUpstreamIdle : RelayEnd::kUpstreamFailed;
      r.ec = rec;
      co_return r;
    }
    const std::size_t got = buf.size() - p.get().body().size;
    if (got == 0) continue;  // framing only: an empty write with more=true would end the client's body
    const error_code wec = co_await write_piece(client, sr, res, buf.data(), got, !p.is_done(), timeouts.client_write);
    if (wec) {
      r.end = RelayEnd::kClientFailed;
      r.ec = wec;
      co_return r;
    }
    if (r.writes == 0) r.first_write = steady_now();
    if (tail) tail->push(buf.data(), got);
    r.body_bytes += got;
    ++r.writes;
    detail::remember_tail(r, buf.data(), got);
  }
  if (!sr.is_done()) {  // the message ended on framing alone: write the terminal chunk deliberately
    const error_code wec = co_await write_piece(client, sr, res, nullptr, 0, false, timeouts.client_write);
    if (wec) {
      r.end = RelayEnd::kClientFailed;
      r.ec = wec;
    }
  }
  co_return r;
}

}  // namespace corral::proxy
