#include "upstream/upstream_exchange.hpp"

#include <algorithm>
#include <array>

#include "upstream/backend.hpp"

namespace corral::upstream {
namespace {

bool closed_early(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

// Reads until `parser` has the response head, leaving any body bytes in `buffer` (the parser is not
// eager). By hand rather than http::async_read_header: its two composed operations (read_op over
// read_some_op, each tracking work on a type-erased executor) cost more than the read itself on a small
// answer (issue 8). Errors as Beast's: end_of_stream when the backend closed before sending anything,
// partial_message when it closed mid-head, the parser's own for a bad or oversized head.
net::awaitable<error_code> read_response_head(TcpStream& stream, beast::flat_buffer& buffer, ResponseParser& parser) {
  for (;;) {
    if (buffer.size() > 0) {
      error_code ec;
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec && ec != http::error::need_more) co_return ec;
      if (parser.is_header_done()) co_return error_code{};
    }
    const std::size_t room = std::max<std::size_t>(512, buffer.capacity() - buffer.size());
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(room));
    buffer.commit(n);
    if (ec == net::error::eof) {
      if (!parser.got_some() && buffer.size() == 0) co_return error_code(http::error::end_of_stream);
      error_code eof;
      parser.put_eof(eof);
      co_return eof ? eof : error_code(http::error::partial_message);
    }
    if (ec) co_return ec;
  }
}

void fail(ExchangeResult& out, ErrorKind kind, upstream::Outcome outcome) {
  out.conn.reset();
  out.error = ProxyError{kind, {}};
  out.outcome = outcome;
}

}  // namespace

net::awaitable<void> exchange(upstream::ConnectionPool& pool, const std::shared_ptr<const upstream::Backend>& backend,
                              const std::string& head, std::string_view body, bool head_request,
                              const config::TimeoutsConfig& timeouts, std::optional<ResponseParser>& parser,
                              ExchangeResult& out) {
  using upstream::Outcome;
  out = ExchangeResult{};
  out.conn = pool.checkout(backend->uid);
  for (;;) {
    if (!out.conn) {
      // Fetched here, not up front: most attempts reuse a pooled connection, and copying the type-erased
      // executor is not free.
      const auto ex = co_await net::this_coro::executor;
      error_code ec;
      out.conn = co_await upstream::connect_backend(ex, backend, timeouts.connect, ec);
      if (!out.conn) {
        if (ec == beast::error::timeout) {
          fail(out, ErrorKind::kUpstreamConnectTimeout, Outcome::kTimeout);
        } else {
          fail(out, ErrorKind::kUpstreamConnectFailed, Outcome::kConnectFailure);
        }
        co_return;
      }
    }
    const bool reused = out.conn->reused;
    auto& stream = out.conn->stream;
    stream.expires_after(timeouts.first_byte);
    const std::array<net::const_buffer, 2> request{net::buffer(head), net::buffer(body.data(), body.size())};
    auto [wec, wn] = co_await net::async_write(stream, request);
    if (wec) {
      if (reused && wec != beast::error::timeout) {
        out.conn.reset();  // the backend closed its idle end: a fresh connection, same backend
        continue;
      }
      fail(out, wec == beast::error::timeout ? ErrorKind::kUpstreamFirstByteTimeout : ErrorKind::kUpstreamResetBeforeHead,
           wec == beast::error::timeout ? Outcome::kTimeout : Outcome::kConnectFailure);
      co_return;
    }
    // Interim 1xx answers are skipped; the final head follows on the same connection.
    for (int interim = 0; interim < 4; ++interim) {
      parser.emplace();
      parser->body_limit(boost::none);  // streams are unbounded; the default 8 MB would cut them
      parser->header_limit(64 * 1024);
      if (head_request) parser->skip(true);
      const error_code rec = co_await read_response_head(stream, out.conn->buffer, *parser);
      if (rec) {
        if (rec == beast::error::timeout) {
          fail(out, ErrorKind::kUpstreamFirstByteTimeout, Outcome::kTimeout);
        } else if (closed_early(rec) && !parser->got_some() && out.conn->buffer.size() == 0) {
          if (reused && interim == 0) break;  // retry on a fresh connection below
          fail(out, ErrorKind::kUpstreamResetBeforeHead, Outcome::kConnectFailure);
        } else {
          fail(out, ErrorKind::kUpstreamBadResponse, Outcome::kServerError);
        }
        co_return;
      }
      const unsigned status = parser->get().result_int();
      if (status >= 200) co_return;
      if (status == 101) {
        fail(out, ErrorKind::kUpstreamBadResponse, Outcome::kServerError);
        co_return;
      }
    }
    if (!out.conn || !parser || !parser->is_header_done() || parser->get().result_int() < 200) {
      if (reused && out.conn && !parser->got_some()) {
        out.conn.reset();
        continue;
      }
      fail(out, ErrorKind::kUpstreamBadResponse, Outcome::kServerError);
      co_return;
    }
    co_return;
  }
}

}  // namespace corral::upstream
