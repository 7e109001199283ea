// Relays a response from a backend to the client as it arrives (style.md section 8): the transformed
// head first, then a loop of one upstream read, parse, and one write of what it brought, with the
// stream-idle timeout on every upstream read and no total timeout. Rules pinned by unit tests:
//  - never hand the serializer zero bytes with more=true (a chunked serializer would emit the last-chunk
//    marker and end the client's body early): a read that yields only framing is skipped;
//  - the terminal chunk is written deliberately, and only when the upstream message really ended;
//  - on an upstream failure nothing more is written here. When the head already went out, the caller
//    may add one error line (error_tail) and must then close the client connection, so the truncation
//    stays visible; when it did not (it waits for the first piece, see head_written), nothing reached
//    the client and the caller answers a whole error response instead.
// Templated on the stream types so unit tests can drive it with beast::test::stream.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "http/final_object.hpp"
#include "routing/router.hpp"

namespace corral::http1 {

/// The relay buffers of one worker thread, lent to a stream only from the moment upstream body bytes are
/// here until their write to the client has completed, never while the stream waits for its backend: an
/// idle stream holds none (one 16 KiB buffer per connection made every idle stream that much
/// heavier). Two sizes: a piece that fits in kSmall bytes (a streamed token, a small answer) gets a small
/// buffer, so a burst of streams whose writes are all in flight at once does not leave a pile of 16 KiB
/// blocks behind in the allocator. Single-threaded, like the worker; each free list keeps at most kKeep.
class RelayBuffers final {
 public:
  static constexpr std::size_t kSmall = 1024;
  static constexpr std::size_t kLarge = 16 * 1024;
  static constexpr std::size_t kKeep = 64;

  /// A lent buffer; gives it back when destroyed.
  class [[nodiscard]] Lease final {
   public:
    Lease(std::vector<std::unique_ptr<char[]>>& home, std::unique_ptr<char[]> buffer, std::size_t size)
        : home_(&home), buffer_(std::move(buffer)), size_(size) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (home_->size() < kKeep) home_->push_back(std::move(buffer_));
    }
    [[nodiscard]] std::span<char> span() const { return {buffer_.get(), size_}; }

   private:
    std::vector<std::unique_ptr<char[]>>* home_;
    std::unique_ptr<char[]> buffer_;
    std::size_t size_;
  };

  /// A buffer of kSmall bytes when `wanted` fits in it, else of kLarge bytes.
  [[nodiscard]] Lease borrow(std::size_t wanted) {
    const bool small = wanted <= kSmall;
    auto& list = small ? small_ : large_;
    const std::size_t size = small ? kSmall : kLarge;
    if (list.empty()) return Lease(list, std::unique_ptr<char[]>(new char[size]), size);  // uninitialised
    std::unique_ptr<char[]> b = std::move(list.back());
    list.pop_back();
    return Lease(list, std::move(b), size);
  }

 private:
  std::vector<std::unique_ptr<char[]>> small_;
  std::vector<std::unique_ptr<char[]>> large_;
};

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
  /// After an upstream failure: whether the response head had reached the client. When body bytes came
  /// in with it, the head waits to go out with the first piece, so a failure in that piece leaves the
  /// client with nothing at all. (Set on that path only, so a relay that succeeds pays nothing for it.)
  bool head_written = false;
  error_code ec;
};

struct RelayTimeouts {
  std::chrono::nanoseconds stream_idle;
  std::chrono::nanoseconds client_write;
};

/// The line or event to append after an upstream failure mid-stream, or "" when the format has none:
/// NDJSON `{"error":"..."}\n` (Ollama's own convention), SSE `data: {"error":{...}}\n\n` (raised by the
/// openai client), and on the Anthropic family SSE `event: error\ndata: {"type":"error","error":{...}}\n\n`
/// (Anthropic's stream error event, raised by its SDK), typed `api_error` in both SSE shapes (a cut is a
/// 502 or 504, which both families call api_error). Preceded by the newline(s) needed when the stream
/// stopped inside a line or event.
[[nodiscard]] std::string error_tail(StreamFormat format, routing::ErrorFamily family, std::string_view message,
                                     const char (&last)[2]);

namespace detail {
// Where relay_response copies body bytes: a fixed span (unit tests) or a worker's RelayBuffers.
struct SpanLease {
  std::span<char> s;
  [[nodiscard]] std::span<char> span() const { return s; }
};
inline SpanLease borrow(std::span<char> s, std::size_t /*wanted*/) { return {s}; }
inline RelayBuffers::Lease borrow(RelayBuffers* pool, std::size_t wanted) { return pool->borrow(wanted); }

// Upstream read sizes: the buffer's free capacity (at least 512 bytes, as Beast's read_size), doubled up
// to kMaxRead after a read that filled it. A bulk body is then read in large pieces (one client write
// each), while a stream of small chunks keeps the small buffer the response head was read into, which is
// what a waiting stream holds.
inline constexpr std::size_t kMinRead = 512;
inline constexpr std::size_t kMaxRead = RelayBuffers::kLarge;

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

/// How the client's copy of the body is delimited (the head built by http1::build_response_head says so).
enum class ClientFraming {
  kNone,           ///< no body: a HEAD request, 204 or 304; the head is all
  kContentLength,  ///< the backend's Content-Length, passed on; the bytes go out as they are
  kChunked,        ///< HTTP/1.1 chunked: one chunk per relayed piece, the terminal chunk at the very end
  kClose,          ///< an HTTP/1.0 client and a body of unknown length: raw bytes, ended by closing
};

namespace detail {
// One client write: what is left of the head, a piece of body, and its chunk framing, gathered into one
// writev. The head and the framing are written by hand rather than through Beast's serializer: a
// response here is always "head, then pieces", and the serializer's generic buffer machinery and header
// fields (a node allocation per field) cost more than the proxy's own work on a small answer.
// Not movable: the buffers point into `prefix`.
struct Piece {
  std::array<char, 20> prefix;  // "<hex size>\r\n"
  std::array<net::const_buffer, 4> buffers;

  Piece(std::string_view head, ClientFraming framing, const char* data, std::size_t size, bool last) {
    buffers[0] = net::buffer(head.data(), head.size());
    buffers[1] = buffers[2] = buffers[3] = net::const_buffer();
    if (framing != ClientFraming::kChunked) {
      buffers[2] = net::const_buffer(data, size);
      return;
    }
    // A chunk of zero bytes would be the terminal chunk: an empty piece is only ever the terminal one.
    static constexpr std::string_view kEnd = "\r\n";
    static constexpr std::string_view kEndAndTerminal = "\r\n0\r\n\r\n";
    if (size == 0) {
      if (last) buffers[3] = net::buffer(kEndAndTerminal.substr(2));
      return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t n = prefix.size();
    prefix[--n] = '\n';
    prefix[--n] = '\r';
    for (std::size_t v = size; v != 0; v >>= 4) prefix[--n] = kHex[v & 0xf];
    buffers[1] = net::const_buffer(prefix.data() + n, prefix.size() - n);
    buffers[2] = net::const_buffer(data, size);
    buffers[3] = net::buffer(last ? kEndAndTerminal : kEnd);
  }
  Piece(const Piece&) = delete;
  Piece& operator=(const Piece&) = delete;
};

// The space for the next upstream read: the buffer's free capacity (at least kMinRead), doubled up to
// kMaxRead after a read that filled it (`filled`).
template <class UpBuffer>
auto read_space(UpBuffer& up_buffer, bool filled) {
  const std::size_t room = std::max(kMinRead, up_buffer.capacity() - up_buffer.size());
  return up_buffer.prepare(filled ? std::min(2 * room, kMaxRead) : std::min(room, kMaxRead));
}
}  // namespace detail

/// Writes one body piece to the client framed as `framing` says (a chunk of its own when chunked); for
/// the error line after an upstream failure.
template <class Client>
net::awaitable<error_code> write_piece(Client& client, ClientFraming framing, const char* data, std::size_t size,
                                       std::chrono::nanoseconds timeout) {
  const detail::Piece piece({}, framing, data, size, false);
  detail::set_expiry(client, timeout);
  auto [ec, n] = co_await net::async_write(client, piece.buffers, use_tuple);
  co_return ec;
}

/// Writes `head` (a complete response head, framing `framing`; its memory is given back once written, as
/// a stream may stay open for hours), then relays the body of the upstream
/// message whose head `p` has read. `buffers` is where a parsed body is copied to before its write: a
/// `std::span<char>` or a `RelayBuffers*` (borrowed per piece). `tail`, when given, receives every body
/// byte written (it keeps the last ones, for the final object's counters). Awaited under the connection's
/// disconnect watch: a cancelled read or write ends it like any failure (the caller checks the watch).
template <class Client, class Upstream, class UpBuffer, class Buffers>
net::awaitable<RelayResult> relay_response(Client& client, std::string head, ClientFraming framing, Upstream& up,
                                           UpBuffer& up_buffer, http::response_parser<http::buffer_body>& p,
                                           RelayTimeouts timeouts, Buffers buffers, TailWindow* tail = nullptr) {
  RelayResult r;
  // Writes what is left of the head with a piece of body; false when the client write failed.
  auto sent = [&](error_code ec, const char* data, std::size_t size) {
    if (ec) {
      r.end = RelayEnd::kClientFailed;
      r.ec = ec;
      return false;
    }
    if (!head.empty()) std::string().swap(head);
    if (size == 0) return true;
    if (r.writes == 0) r.first_write = steady_now();
    if (tail) tail->push(data, size);
    r.body_bytes += size;
    ++r.writes;
    detail::remember_tail(r, data, size);
    return true;
  };
  auto upstream_failed = [&](error_code ec) {
    r.end = ec == beast::error::timeout ? RelayEnd::kUpstreamIdle : RelayEnd::kUpstreamFailed;
    r.ec = ec;
    r.head_written = head.empty();  // the first write carries the head and frees it
    return r;
  };
  // When body bytes came in with the head (a small answer, or a stream's first chunk), the head is not
  // written alone: it goes out with the first piece in one writev. That saves a syscall per request and
  // delays nothing, since those bytes are already here. Otherwise the head goes out at once, so a client
  // sees it before a slow first chunk.
  if (framing == ClientFraming::kNone || up_buffer.size() == 0 || p.is_done()) {
    const detail::Piece piece(head, ClientFraming::kClose, nullptr, 0, false);
    detail::set_expiry(client, timeouts.client_write);
    auto [ec, n] = co_await net::async_write(client, piece.buffers, use_tuple);
    if (!sent(ec, nullptr, 0)) co_return r;
  }
  if (framing == ClientFraming::kNone) co_return r;

  bool filled = false;  // the last read filled its space: more is probably waiting
  if (framing == ClientFraming::kContentLength) {
    // The length is known on both sides: the bytes are written straight from the upstream read buffer,
    // with no parse and no copy. Bytes past the body (which a backend should not send) stay in the
    // buffer, and the caller then does not reuse the connection.
    std::uint64_t left = p.content_length().value_or(0);
    while (left > 0) {
      if (up_buffer.size() == 0) {
        const auto space = detail::read_space(up_buffer, filled);
        detail::set_expiry(up, timeouts.stream_idle);
        auto [rec, rn] = co_await up.async_read_some(space, use_tuple);
        up_buffer.commit(rn);
        filled = rn == space.size();
        if (rec) co_return upstream_failed(rec == net::error::eof ? error_code(http::error::partial_message) : rec);
      }
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, up_buffer.size()));
      const char* data = static_cast<const char*>(up_buffer.data().data());
      const detail::Piece piece(head, framing, data, n, false);
      detail::set_expiry(client, timeouts.client_write);
      auto [wec, wn] = co_await net::async_write(client, piece.buffers, use_tuple);
      if (!sent(wec, data, n)) co_return r;
      up_buffer.consume(n);
      left -= n;
    }
    co_return r;
  }

  // Chunked or close-delimited upstream: the parser takes the framing off. It reads from the
  // connection's own (small) read buffer, and a relay buffer is borrowed only once bytes are here. The
  // parser is eager, so what one read brought (several chunks of a stream that arrived together) goes out
  // in one write; the terminal chunk rides with the last piece.
  p.eager(true);
  bool need_read = up_buffer.size() == 0;
  while (!p.is_done()) {
    if (need_read) {
      const auto space = detail::read_space(up_buffer, filled);
      detail::set_expiry(up, timeouts.stream_idle);
      auto [rec, rn] = co_await up.async_read_some(space, use_tuple);
      up_buffer.commit(rn);
      filled = rn == space.size();
      if (rec == net::error::eof) {
        error_code eof = rec;
        p.put_eof(eof);  // ends a body delimited by the close; else partial_message
        if (!p.is_done()) co_return upstream_failed(rec);
      } else if (rec) {
        co_return upstream_failed(rec);
      }
      need_read = false;
      if (p.is_done()) break;
    }
    auto held = detail::borrow(buffers, up_buffer.size());  // the body part is never more than the input
    const std::span<char> buf = held.span();
    p.get().body().data = buf.data();
    p.get().body().size = buf.size();
    error_code pec;
    up_buffer.consume(p.put(up_buffer.data(), pec));
    if (pec == http::error::need_more || up_buffer.size() == 0) need_read = true;
    if (pec == http::error::need_more || pec == http::error::need_buffer) pec = {};
    if (pec) co_return upstream_failed(pec);  // broken framing from the backend
    const std::size_t got = buf.size() - p.get().body().size;
    if (got == 0) continue;  // framing only
    const detail::Piece piece(head, framing, buf.data(), got, p.is_done());
    detail::set_expiry(client, timeouts.client_write);
    auto [wec, wn] = co_await net::async_write(client, piece.buffers, use_tuple);
    if (!sent(wec, buf.data(), got)) co_return r;
    if (p.is_done()) co_return r;  // the terminal chunk went with this piece
  }
  // The message ended on framing alone (or by the close): the terminal chunk, and a head never sent.
  if (framing == ClientFraming::kChunked || !head.empty()) {
    const detail::Piece piece(head, framing, nullptr, 0, true);
    detail::set_expiry(client, timeouts.client_write);
    auto [wec, wn] = co_await net::async_write(client, piece.buffers, use_tuple);
    (void)sent(wec, nullptr, 0);
  }
  co_return r;
}

}  // namespace corral::http1
