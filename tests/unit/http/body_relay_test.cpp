// The relay over in-memory streams: the upstream bytes arrive in pieces as small as one byte, so many
// reads yield only chunk framing. The client must still get every body byte, exactly one terminal
// chunk at the very end (never an early `0\r\n\r\n` from an empty write with more=true), and after an
// upstream failure no terminal chunk at all.
#include "http/body_relay.hpp"

// GCC 12's -Wmismatched-new-delete false positive on Asio coroutine frames (see agent_server.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/beast/_experimental/test/stream.hpp>

#include <gtest/gtest.h>

namespace corral::http1 {
namespace {

using TestStream = beast::test::stream;

struct Outcome {
  RelayResult result;
  std::string client_bytes;
};

constexpr std::string_view kClientHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

// Relays `upstream_bytes` (delivered `read_size` bytes per read) to a client behind `head` framed as
// `framing`; `close_upstream` ends the upstream connection after the bytes. `left_over` gets what stayed
// in the upstream buffer.
Outcome run_relay(const std::string& upstream_bytes, std::size_t read_size, bool close_upstream,
                  ClientFraming framing = ClientFraming::kChunked, std::string_view head = kClientHead,
                  std::string* left_over = nullptr) {
  net::io_context io;
  TestStream up(io), up_peer(io), client(io), client_peer(io);
  up.connect(up_peer);
  client.connect(client_peer);
  up.read_size(read_size);
  up_peer.write_some(net::buffer(upstream_bytes));
  if (close_upstream) up_peer.close();
  Outcome out;
  auto body = [&]() -> net::awaitable<void> {
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> p;
    p.body_limit(boost::none);
    auto [ec, n] = co_await http::async_read_header(up, buffer, p, use_tuple);
    EXPECT_FALSE(ec) << ec.message();
    std::array<char, 64> buf;
    out.result = co_await relay_response(client, std::string(head), framing, up, buffer, p,
                                         RelayTimeouts{std::chrono::seconds(5), std::chrono::seconds(5)},
                                         std::span<char>(buf));
    // As the proxy does: an error line only after a head that went out.
    if (out.result.end == RelayEnd::kUpstreamFailed && framing == ClientFraming::kChunked && out.result.head_written) {
      const std::string tail = error_tail(StreamFormat::kNdjson, routing::ErrorFamily::kOllama, "upstream connection lost",
                                                 out.result.last);
      (void)co_await write_piece(client, framing, tail.data(), tail.size(), std::chrono::seconds(5));
    }
    if (left_over) *left_over = beast::buffers_to_string(buffer.data());
  };
  net::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  out.client_bytes = std::string(client_peer.str());
  return out;
}

std::string chunked_upstream(const std::vector<std::string>& chunks, bool terminal) {
  std::string s = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const auto& c : chunks) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx;ext=1\r\n", c.size());
    s += size;
    s += c;
    s += "\r\n";
  }
  if (terminal) s += "0\r\n\r\n";
  return s;
}

std::size_t count(const std::string& hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

// Decodes the client's chunked body; `complete` says whether the terminal chunk came.
std::string decode_client(const std::string& bytes, bool& complete) {
  http::response_parser<http::string_body> p;
  error_code ec;
  std::size_t used = 0;
  while (used < bytes.size() && !p.is_done()) {
    const auto n = p.put(net::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec == http::error::need_more) break;
    EXPECT_FALSE(ec) << ec.message();
    if (ec) break;
    used += n;
  }
  complete = p.is_done();
  return p.get().body();
}

const std::vector<std::string> kLines = {
    "{\"response\":\"Hel\",\"done\":false}\n", "{\"response\":\"lo\",\"done\":false}\n", "",
    "{\"response\":\"!\",\"done\":false}\n", "{\"done\":true}\n"};

TEST(BodyRelay, EveryReadSplitGivesTheWholeBodyAndOneTerminalChunk) {
  std::string expected;
  std::vector<std::string> nonempty;
  for (const auto& l : kLines) {
    if (!l.empty()) nonempty.push_back(l);
    expected += l;
  }
  for (std::size_t read_size : {1, 2, 3, 5, 7, 13, 64, 4096}) {
    const auto out = run_relay(chunked_upstream(nonempty, true), read_size, false);
    EXPECT_EQ(out.result.end, RelayEnd::kComplete) << read_size;
    bool complete = false;
    EXPECT_EQ(decode_client(out.client_bytes, complete), expected) << read_size;
    EXPECT_TRUE(complete) << read_size;
    EXPECT_EQ(count(out.client_bytes, "\r\n0\r\n\r\n"), 1u) << read_size;
    EXPECT_EQ(out.client_bytes.substr(out.client_bytes.size() - 5), "0\r\n\r\n") << read_size;
    EXPECT_GE(out.result.writes, 1u);
  }
}

TEST(BodyRelay, EachUpstreamPieceIsWrittenAtOnceNotBatched) {
  // One read per line (the buffer holds more than a line): one client write per upstream chunk.
  const std::vector<std::string> lines = {"{\"a\":1}\n", "{\"a\":2}\n", "{\"a\":3}\n"};
  const auto out = run_relay(chunked_upstream(lines, true), 4096, false);
  EXPECT_EQ(out.result.end, RelayEnd::kComplete);
  EXPECT_GE(out.result.writes, 1u);
}

TEST(BodyRelay, UpstreamDeathMidStreamLeavesTheClientTruncatedWithAnErrorLine) {
  for (std::size_t read_size : {1, 4, 4096}) {
    const auto out = run_relay(chunked_upstream({"{\"response\":\"a\",\"done\":false}\n", "{\"resp"}, false), read_size, true);
    EXPECT_EQ(out.result.end, RelayEnd::kUpstreamFailed) << read_size;
    EXPECT_TRUE(out.result.head_written) << read_size;
    bool complete = true;
    const std::string body = decode_client(out.client_bytes, complete);
    EXPECT_FALSE(complete) << read_size;  // no terminal chunk: the cut stays visible
    EXPECT_EQ(count(out.client_bytes, "\r\n0\r\n\r\n"), 0u) << read_size;
    EXPECT_NE(body.find("{\"resp\n{\"error\":\"upstream connection lost\"}\n"), std::string::npos) << body;
  }
}

// A backend's first body bytes that came in with its head are broken (a chunk size that is no hex number,
// or a chunk size line and then the close): the head was waiting for them, so nothing at all reached the client, and
// the result says so (the proxy then answers a whole 502). Read one byte at a time, the head arrives
// alone and goes out at once: then the result says it went, and the cut is the usual one.
TEST(BodyRelay, ABrokenFirstPieceThatCameWithTheHeadLeavesTheClientWithNothing) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string broken : {"zz\r\n{\"done\":true}\r\n0\r\n\r\n", "25\r\n"}) {
    const auto out = run_relay(head + broken, 4096, true);
    EXPECT_EQ(out.result.end, RelayEnd::kUpstreamFailed) << broken;
    EXPECT_FALSE(out.result.head_written) << broken;
    EXPECT_EQ(out.client_bytes, "") << broken;
    EXPECT_EQ(out.result.writes, 0u) << broken;
  }
  const auto slow = run_relay(head + "zz\r\n{\"done\":true}\r\n0\r\n\r\n", 1, true);
  EXPECT_EQ(slow.result.end, RelayEnd::kUpstreamFailed);
  EXPECT_TRUE(slow.result.head_written);
  EXPECT_EQ(slow.client_bytes.substr(0, kClientHead.size()), kClientHead);
}

TEST(BodyRelay, AContentLengthBodyGoesOutAsItIsAfterTheHead) {
  const std::string body = "{\"response\":\"hello\",\"done\":true}";
  const std::string upstream = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  for (std::size_t read_size : {1, 3, 7, 4096}) {
    std::string left;
    const auto out = run_relay(upstream + "EXTRA", read_size, false, ClientFraming::kContentLength, head, &left);
    EXPECT_EQ(out.result.end, RelayEnd::kComplete) << read_size;
    EXPECT_EQ(out.client_bytes, head + body) << read_size;
    EXPECT_EQ(out.result.body_bytes, body.size()) << read_size;
    // Bytes past the body are not the client's: they stay behind (and the connection is not reused).
    EXPECT_TRUE(left.empty() || std::string_view("EXTRA").starts_with(left)) << left;
  }
}

TEST(BodyRelay, AContentLengthBodyCutShortIsAnUpstreamFailure) {
  const std::string upstream = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":";
  const auto out = run_relay(upstream, 4096, true, ClientFraming::kContentLength, "H\r\n\r\n");
  EXPECT_EQ(out.result.end, RelayEnd::kUpstreamFailed);
  EXPECT_EQ(out.client_bytes, "H\r\n\r\n{\"partial\":");
}

TEST(BodyRelay, NoBodyFramingWritesTheHeadOnly) {
  const auto out = run_relay("HTTP/1.1 204 No Content\r\n\r\n", 4096, false, ClientFraming::kNone, "HEAD\r\n\r\n");
  EXPECT_EQ(out.result.end, RelayEnd::kComplete);
  EXPECT_EQ(out.client_bytes, "HEAD\r\n\r\n");
  EXPECT_EQ(out.result.writes, 0u);
}

TEST(BodyRelay, AnEmptyChunkedBodyStillGetsItsHeadAndTerminalChunk) {
  const auto out = run_relay(chunked_upstream({}, true), 4096, false);
  EXPECT_EQ(out.result.end, RelayEnd::kComplete);
  EXPECT_EQ(out.client_bytes, std::string(kClientHead) + "0\r\n\r\n");
}

TEST(BodyRelay, ACloseDelimitedBodyIsRelayedRawUntilTheEnd) {
  const std::string upstream = "HTTP/1.1 200 OK\r\n\r\nline one\nline two\n";
  for (std::size_t read_size : {1, 5, 4096}) {
    const auto out = run_relay(upstream, read_size, true, ClientFraming::kClose, "H\r\n\r\n");
    EXPECT_EQ(out.result.end, RelayEnd::kComplete) << read_size;
    EXPECT_EQ(out.client_bytes, "H\r\n\r\nline one\nline two\n") << read_size;
  }
}

TEST(BodyRelay, ErrorTailShapes) {
  const char clean[2] = {'}', '\n'};
  const char mid[2] = {'a', 'b'};
  const char none[2] = {0, 0};
  EXPECT_EQ(error_tail(StreamFormat::kNdjson, routing::ErrorFamily::kOllama, "x", clean), "{\"error\":\"x\"}\n");
  EXPECT_EQ(error_tail(StreamFormat::kNdjson, routing::ErrorFamily::kOllama, "x", mid), "\n{\"error\":\"x\"}\n");
  const char event_end[2] = {'\n', '\n'};
  const char line_end[2] = {'}', '\n'};
  const std::string sse = R"(data: {"error":{"message":"x","type":"api_error","param":null,"code":null}})"
                          "\n\n";
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kOpenAI, "x", event_end), sse);
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kOpenAI, "x", line_end), "\n" + sse);
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kOpenAI, "x", mid), "\n\n" + sse);
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kOpenAI, "x", none), sse);
  EXPECT_EQ(error_tail(StreamFormat::kOther, routing::ErrorFamily::kOpenAI, "x", clean), "");
  // On the Anthropic family the cut is Anthropic's own stream error event, after whatever event was open.
  const std::string anthropic = "event: error\n"
                                R"(data: {"type":"error","error":{"type":"api_error","message":"x"}})"
                                "\n\n";
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kAnthropic, "x", event_end), anthropic);
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kAnthropic, "x", line_end), "\n" + anthropic);
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kAnthropic, "x", mid), "\n\n" + anthropic);
  // An SSE stream of the Ollama family (none today) keeps the OpenAI data line its clients read.
  EXPECT_EQ(error_tail(StreamFormat::kSse, routing::ErrorFamily::kOllama, "x", none), sse);
  EXPECT_EQ(stream_format("application/x-ndjson"), StreamFormat::kNdjson);
  EXPECT_EQ(stream_format("text/event-stream; charset=utf-8"), StreamFormat::kSse);
  EXPECT_EQ(stream_format("application/json"), StreamFormat::kOther);
}

}  // namespace
}  // namespace corral::http1
