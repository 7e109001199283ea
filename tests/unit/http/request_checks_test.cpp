// A table of malformed and legal request heads: the raw scan and the parsed-head check together must
// refuse every ambiguous one with the right status and accept the legal controls (so a checker that
// refuses everything cannot pass).
#include "http/request_checks.hpp"

#include <string>

#include <gtest/gtest.h>

namespace corral::http1 {
namespace {

struct Case {
  const char* name;
  std::string head;
  int status;  // 0 = accepted
};

// Runs both steps as the connection does: scan the raw bytes, let Beast parse the head, check it.
int verdict(const std::string& bytes, const Limits& limits = {}) {
  const HeadScan scan = scan_head(bytes, limits);
  if (scan.state == HeadScan::State::kRefused) return error_info(scan.refusal.kind).status;
  if (scan.state != HeadScan::State::kComplete) return -1;
  http::request_parser<http::empty_body> parser;
  parser.eager(false);
  error_code ec;
  parser.put(net::buffer(bytes.data() + scan.skip, scan.head_size), ec);
  if (ec) return error_info(refusal_for_parse_error(ec).kind).status;
  if (!parser.is_header_done()) return -2;
  const auto checked = check_head(parser.get(), limits);
  if (const auto* r = std::get_if<Refusal>(&checked)) return error_info(r->kind).status;
  return 0;
}

const std::string kGet = "GET /api/tags HTTP/1.1\r\nHost: gw\r\n";

TEST(RequestChecks, Table) {
  const std::vector<Case> cases = {
      // legal controls
      {"plain GET", kGet + "\r\n", 0},
      {"POST with length", "POST /api/chat HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\n", 0},
      {"chunked", "POST /api/chat HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n", 0},
      {"upper-case chunked", "POST /api/chat HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 0},
      {"leading zeros in length", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 007\r\n\r\n", 0},
      {"one leading empty line", "\r\n" + kGet + "\r\n", 0},
      {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0},
      {"absolute-form", "GET http://gw:8080/api/tags HTTP/1.1\r\nHost: gw\r\n\r\n", 0},
      {"IPv6 Host", "GET / HTTP/1.1\r\nHost: [::1]:11434\r\n\r\n", 0},
      {"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0},
      {"100-continue", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", 0},
      {"query", "GET /api/tags?x=1&y=%20 HTTP/1.1\r\nHost: gw\r\n\r\n", 0},
      // framing
      {"CL and TE", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE and CL", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
      {"duplicate CL same", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400},
      {"duplicate CL differ", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"CL list", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3, 3\r\n\r\n", 400},
      {"CL signed", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: +3\r\n\r\n", 400},
      {"CL hex", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 0x3\r\n\r\n", 400},
      {"CL empty", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: \r\n\r\n", 400},
      {"CL overflow", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"TE gzip", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"TE gzip, chunked", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400},
      {"TE chunked, chunked", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"TE chunked, identity", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400},
      {"TE twice", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE on HTTP/1.0", "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE quoted", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400},
      // line syntax
      {"obs-fold", "GET / HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n 2\r\n\r\n", 400},
      {"obs-fold tab", "GET / HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n\t2\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : gw\r\n\r\n", 400},
      {"tab before colon", "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding\t: chunked\r\n\r\n", 400},
      {"bare CR in field", "GET / HTTP/1.1\r\nHost: gw\rX: y\r\n\r\n", 400},
      {"bare LF line", "GET / HTTP/1.1\nHost: gw\n\n", 400},
      {"bare LF in fields", "GET / HTTP/1.1\r\nHost: gw\nX: 1\r\n\r\n", 400},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: gw\r\nX: a\0b\r\n\r\n", 35), 400},
      {"no colon", "GET / HTTP/1.1\r\nHost: gw\r\nnocolon\r\n\r\n", 400},
      {"empty name", "GET / HTTP/1.1\r\nHost: gw\r\n: v\r\n\r\n", 400},
      {"space in name", "GET / HTTP/1.1\r\nHost: gw\r\nX Y: v\r\n\r\n", 400},
      {"whitespace before first field", "GET / HTTP/1.1\r\n Host: gw\r\n\r\n", 400},
      // Host
      {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      {"Host list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400},
      {"Host with path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
      {"Host bad port", "GET / HTTP/1.1\r\nHost: a:12x\r\n\r\n", 400},
      // target, method, version
      {"no leading slash", "GET api/tags HTTP/1.1\r\nHost: gw\r\n\r\n", 400},
      {"fragment", "GET /api/tags#x HTTP/1.1\r\nHost: gw\r\n\r\n", 400},
      {"asterisk on GET", "GET * HTTP/1.1\r\nHost: gw\r\n\r\n", 400},
      {"CONNECT", "CONNECT gw:443 HTTP/1.1\r\nHost: gw:443\r\n\r\n", 400},
      {"bad percent", "GET /a%zz HTTP/1.1\r\nHost: gw\r\n\r\n", 400},
      {"authority with userinfo", "GET http://u@gw/ HTTP/1.1\r\nHost: gw\r\n\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: gw\r\n\r\n", 505},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: gw\r\n\r\n", 505},
      {"HTTP/0.9 line", "GET /\r\n\r\n", 400},
      {"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      {"two empty lines", "\r\n\r\n" + kGet + "\r\n", 400},
      // Expect
      {"other expectation", "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", 417},
  };
  for (const Case& c : cases) EXPECT_EQ(verdict(c.head), c.status) << c.name;
}

TEST(RequestChecks, Limits) {
  Limits limits;
  limits.max_headers = 3;
  limits.max_uri = 32;
  limits.max_header = 256;
  limits.max_body = 100;
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: gw\r\nA: 1\r\nB: 2\r\n\r\n", limits), 0);
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: gw\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 431);
  EXPECT_EQ(verdict("GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: gw\r\n\r\n", limits), 414);
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: gw\r\nX: " + std::string(300, 'v') + "\r\n\r\n", limits), 431);
  EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 101\r\n\r\n", limits), 413);
  EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n", limits), 0);
}

TEST(RequestChecks, IncompleteHeadNeedsMoreWithoutDeciding) {
  const std::string head = kGet + "X: 1\r\n\r\n";
  for (std::size_t n = 0; n < head.size(); ++n) {
    const HeadScan scan = scan_head(std::string_view(head).substr(0, n), Limits{});
    EXPECT_EQ(scan.state, HeadScan::State::kNeedMore) << n;
  }
  EXPECT_EQ(scan_head(head, Limits{}).state, HeadScan::State::kComplete);
}

TEST(RequestChecks, OverlongRequestLineIsRefusedBeforeItEnds) {
  Limits limits;
  limits.max_uri = 64;
  const std::string partial = "GET /" + std::string(2000, 'a');
  EXPECT_EQ(scan_head(partial, limits).refusal.kind, ErrorKind::kUriTooLong);
}

TEST(RequestChecks, FactsOfAnAcceptedHead) {
  const std::string bytes = "POST http://gw/api/chat?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 12\r\nExpect: 100-Continue\r\n\r\n";
  http::request_parser<http::empty_body> parser;
  error_code ec;
  parser.put(net::buffer(bytes), ec);
  ASSERT_FALSE(ec);
  const auto checked = check_head(parser.get(), Limits{});
  const auto& facts = std::get<HeadFacts>(checked);
  EXPECT_EQ(facts.origin_target, "/api/chat?x=1");
  EXPECT_EQ(facts.path, "/api/chat");
  EXPECT_EQ(facts.content_length, 12u);
  EXPECT_TRUE(facts.expect_continue);
  EXPECT_FALSE(facts.chunked);
}

}  // namespace
}  // namespace corral::http1
