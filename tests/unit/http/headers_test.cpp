#include "http/headers.hpp"

#include <gtest/gtest.h>

namespace corral::http1 {
namespace {

http::request<http::empty_body> parse(const std::string& bytes) {
  http::request_parser<http::empty_body> parser;
  error_code ec;
  parser.put(net::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message();
  return parser.release();
}

TEST(Headers, UpstreamHeadDropsHopByHopAndSetsOurFields) {
  const auto req = parse(
      "POST /api/chat?x=1 HTTP/1.1\r\n"
      "Host: gateway.example\r\n"
      "Connection: keep-alive, X-Secret\r\n"
      "Keep-Alive: timeout=5\r\n"
      "X-Secret: drop-me\r\n"
      "TE: trailers\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Upgrade: h2c\r\n"
      "Proxy-Authorization: Basic x\r\n"
      "Origin: http://evil.example\r\n"
      "X-Forwarded-For: 6.6.6.6\r\n"
      "X-Request-ID: client-id\r\n"
      "Expect: 100-continue\r\n"
      "Content-Type: application/json\r\n"
      "User-Agent: ollama-js/0.6\r\n"
      "\r\n");
  std::string out;
  build_upstream_head(out, req, "/api/chat?x=1", ForwardContext{"127.0.0.1:11434", "", "10.0.0.7", "rid-1", false}, 42, true);
  EXPECT_EQ(out,
            "POST /api/chat?x=1 HTTP/1.1\r\n"
            "Content-Type: application/json\r\n"
            "User-Agent: ollama-js/0.6\r\n"
            "Host: 127.0.0.1:11434\r\n"
            "X-Forwarded-For: 10.0.0.7\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Request-ID: rid-1\r\n"
            "Content-Length: 42\r\n"
            "\r\n");
}

TEST(Headers, EveryFieldTheGatewaySetsOrNeverForwardsIsDroppedWhateverItsCase) {
  const char* dropped[] = {"connection: x",        "KEEP-ALIVE: 1",         "proxy-connection: close", "te: trailers",
                           "Upgrade: h2c",         "trailer: x",            "Proxy-Authorization: b",  "proxy-authenticate: b",
                           "hOsT: h",              "Origin: o",             "forwarded: for=1",        "x-forwarded-for: 1",
                           "X-FORWARDED-PROTO: h", "x-Forwarded-Host: h",   "x-real-ip: 1",            "x-request-id: c"};
  for (const char* field : dropped) {
    const auto req = parse(std::string("GET / HTTP/1.1\r\nHost: gw\r\n") + field + "\r\nAccept: */*\r\n\r\n");
    std::string out;
    build_upstream_head(out, req, "/", ForwardContext{"b:1", "", "", "", false}, 0, false);
    EXPECT_EQ(out, "GET / HTTP/1.1\r\nAccept: */*\r\nHost: b:1\r\nX-Forwarded-Proto: http\r\n\r\n") << field;
  }
}

TEST(Headers, PathPrefixAndNoBodyOnGet) {
  const auto req = parse("GET /api/tags HTTP/1.1\r\nHost: gw\r\nAccept: */*\r\n\r\n");
  std::string out;
  build_upstream_head(out, req, "/api/tags", ForwardContext{"ollama:80", "/ollama", "", "", false}, 0, false);
  EXPECT_EQ(out, "GET /ollama/api/tags HTTP/1.1\r\nAccept: */*\r\nHost: ollama:80\r\nX-Forwarded-Proto: http\r\n\r\n");
}

// Parses a head built by build_response_head (a response to a GET: the body framing is irrelevant here).
http::response_header<> parse_head(const std::string& bytes) {
  http::response_parser<http::empty_body> p;
  p.skip(true);
  error_code ec;
  p.put(net::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  EXPECT_TRUE(p.is_header_done()) << bytes;
  return p.release().base();
}

http::response_header<> upstream_head(const std::string& bytes) { return parse_head(bytes); }

TEST(Headers, ResponseHeadKeepsEndToEndFields) {
  const auto upstream = upstream_head(
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close, X-Internal\r\nX-Internal: 1\r\n"
      "Transfer-Encoding: chunked\r\nKeep-Alive: 5\r\nDate: Mon\r\nX-Request-ID: backend-id\r\n\r\n");
  std::string bytes;
  build_response_head(bytes, upstream, ResponseHeadSpec{11, "rid-1", std::nullopt, true, true});
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 200 OK\r\n")) << bytes;
  EXPECT_TRUE(bytes.ends_with("\r\n\r\n")) << bytes;
  const auto out = parse_head(bytes);
  EXPECT_EQ(out.result_int(), 200u);
  EXPECT_EQ(out[http::field::content_type], "application/x-ndjson");
  EXPECT_EQ(out[http::field::date], "Mon");
  EXPECT_EQ(out.count("X-Request-ID"), 1u);
  EXPECT_EQ(out["X-Request-ID"], "rid-1");
  EXPECT_EQ(out.find("X-Internal"), out.end());
  EXPECT_EQ(out[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(out.find(http::field::connection), out.end());
  EXPECT_EQ(out.find(http::field::keep_alive), out.end());
}

TEST(Headers, ResponseHeadFramingAndConnection) {
  const auto upstream = upstream_head("HTTP/1.1 404 Not Found\r\nContent-Length: 18\r\n\r\n");
  std::string a;
  build_response_head(a, upstream, ResponseHeadSpec{11, "r", 18, false, false});
  EXPECT_EQ(a, "HTTP/1.1 404 Not Found\r\nX-Request-ID: r\r\nContent-Length: 18\r\nConnection: close\r\n\r\n");
  std::string b;
  build_response_head(b, upstream, ResponseHeadSpec{10, "r", 0, false, true});
  EXPECT_EQ(b, "HTTP/1.0 404 Not Found\r\nX-Request-ID: r\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  // A backend that sends no reason phrase gets the standard one.
  const auto bare = upstream_head("HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n");
  std::string c;
  build_response_head(c, bare, ResponseHeadSpec{11, "", 0, false, true});
  EXPECT_EQ(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
}

TEST(Headers, RequestId) {
  EXPECT_EQ(request_id_for("abc-123"), "abc-123");
  EXPECT_EQ(request_id_for("").size(), 32u);
  EXPECT_EQ(request_id_for("bad value").size(), 32u);
  EXPECT_EQ(request_id_for(std::string(200, 'a')).size(), 32u);
  EXPECT_NE(new_request_id(), new_request_id());
}

}  // namespace
}  // namespace corral::http1
