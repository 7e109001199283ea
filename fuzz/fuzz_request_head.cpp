// libFuzzer target for the request path that sees untrusted bytes first: the raw head scan, Beast's
// parse of the accepted head, the strict head checks, routing, and model extraction from whatever follows
// the head (treated as the body). Mirrors ClientConnection::serve_one without sockets. Invariants checked
// beyond "no crash / no sanitizer report": a head the checks accept has exactly one framing, and a refusal
// always maps to a 4xx/5xx status. Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_checks.hpp"
#include "routing/request_info.hpp"
#include "routing/router.hpp"

using namespace corral;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const http1::Limits limits{4096, 64, 1024, 1 << 20};
  const auto scan = http1::scan_head(bytes, limits);
  if (scan.state == http1::HeadScan::State::kRefused) {
    require(error_info(scan.refusal.kind).status >= 400);
    return 0;
  }
  if (scan.state != http1::HeadScan::State::kComplete) return 0;
  require(scan.skip + scan.head_size <= size);

  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header + 1));
  parser.body_limit(limits.max_body);
  error_code ec;
  parser.put(net::buffer(bytes.data() + scan.skip, scan.head_size), ec);
  if (ec || !parser.is_header_done()) {
    if (ec) require(error_info(http1::refusal_for_parse_error(ec).kind).status >= 400);
    return 0;
  }
  const auto& msg = parser.get();
  const auto checked = http1::check_head(msg, limits);
  if (const auto* refusal = std::get_if<http1::Refusal>(&checked)) {
    require(error_info(refusal->kind).status >= 400);
    return 0;
  }
  const auto& facts = std::get<http1::HeadFacts>(checked);
  // Accepted: never both a Content-Length and chunked framing (the smuggling precondition).
  require(!(facts.content_length && facts.chunked));

  const routing::Route route = routing::route_request(msg.method(), facts.origin_target);
  if (route.needs_body_model()) {
    std::string body(bytes.substr(scan.skip + scan.head_size));  // non-const: the padding overload
    (void)routing::extract_request_info(route, body);
  }
  return 0;
}
