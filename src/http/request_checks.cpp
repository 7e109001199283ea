// The raw scan refuses before Beast can unfold or repair; the parsed check closes the gaps Beast leaves
// (style.md section 8: a Transfer-Encoding list without a final `chunked` would be read as "no body",
// obs-fold is unfolded, Host and the target form are never checked, fields are not counted).
#include "http/request_checks.hpp"

#include "common/ascii.hpp"

#include <algorithm>
#include <array>

namespace corral::http1 {
namespace {

constexpr std::size_t kRequestLineSlack = 1024;  // method + version + spaces beyond max_uri

constexpr bool is_ws(char c) { return c == ' ' || c == '\t'; }

constexpr bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool is_unreserved(char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

constexpr bool is_sub_delim(char c) {
  return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' ||
         c == ',' || c == ';' || c == '=';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

// Checks one completed line of the head; `first` is the request line.
std::optional<Refusal> check_line(std::string_view line, bool first, const Limits& limits) {
  if (first) {
    if (line.empty()) return Refusal{ErrorKind::kBadRequest, "empty request line"};
    const auto sp1 = line.find(' ');
    const auto sp2 = line.rfind(' ');
    if (sp1 != std::string_view::npos && sp2 > sp1 && sp2 - sp1 - 1 > limits.max_uri) {
      return Refusal{ErrorKind::kUriTooLong, "request-target too long"};
    }
    // Beast reports any other well-formed version as malformed; RFC 9110 15.6.6 wants 505 for it.
    const std::string_view version = sp2 == std::string_view::npos ? std::string_view{} : line.substr(sp2 + 1);
    if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' && version[5] <= '9' &&
        version[6] == '.' && version[7] >= '0' && version[7] <= '9' && version != "HTTP/1.1" && version != "HTTP/1.0") {
      return Refusal{ErrorKind::kVersionNotSupported, "unsupported HTTP version"};
    }
    return std::nullopt;
  }
  if (is_ws(line.front())) return Refusal{ErrorKind::kBadRequest, "obsolete line folding"};
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return Refusal{ErrorKind::kBadRequest, "header field without a colon"};
  if (colon == 0) return Refusal{ErrorKind::kBadRequest, "empty header field name"};
  if (is_ws(line[colon - 1])) return Refusal{ErrorKind::kBadRequest, "whitespace before a header colon"};
  return std::nullopt;
}

bool valid_port(std::string_view port) {
  return port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// reg-name or IPv4address (RFC 3986 3.2.2): unreserved / pct-encoded / sub-delims.
bool valid_reg_name(std::string_view host) {
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '%') {
      if (i + 2 >= host.size()) return false;
      if (!is_hex(host[i + 1]) || !is_hex(host[i + 2])) return false;
      i += 2;
    } else if (!is_unreserved(c) && !is_sub_delim(c)) {
      return false;
    }
  }
  return true;
}

bool valid_ip_literal(std::string_view inner) {
  if (inner.empty()) return false;
  return std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; });
}

// authority without userinfo: host [":" port]
bool valid_authority(std::string_view value) {
  if (value.empty()) return false;
  std::string_view host = value;
  std::string_view port;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    if (!valid_ip_literal(host.substr(1, close - 1))) return false;
    const auto rest = host.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    return valid_port(rest.substr(1));
  }
  const auto colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (!valid_port(port)) return false;
  }
  return !host.empty() && valid_reg_name(host);
}

// origin-form after the leading '/': pchar / "/" / "?" (RFC 9112 3.2.1).
bool valid_target_chars(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '%') {
      if (i + 2 >= t.size() || !is_hex(t[i + 1]) || !is_hex(t[i + 2])) return false;
      i += 2;
    } else if (!(is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/' || c == '?')) {
      return false;
    }
  }
  return true;
}

// How often each field the checks limit appears, in one walk over the fields (four equal_range lookups
// in Beast's tree cost ~1.3k instructions a request).
struct CheckedFieldCounts {
  std::size_t host = 0;
  std::size_t content_length = 0;
  std::size_t transfer_encoding = 0;
  std::size_t expect = 0;
};

CheckedFieldCounts count_checked_fields(const http::request_header<>& head) {
  CheckedFieldCounts n;
  for (const auto& f : head) {
    switch (f.name()) {
      case http::field::host: ++n.host; break;
      case http::field::content_length: ++n.content_length; break;
      case http::field::transfer_encoding: ++n.transfer_encoding; break;
      case http::field::expect: ++n.expect; break;
      default: break;
    }
  }
  return n;
}

}  // namespace

HeadScan scan_head(std::string_view bytes, const Limits& limits) {
  HeadScan out;
  std::size_t pos = 0;
  if (!bytes.empty() && bytes[0] == '\r') {
    if (bytes.size() < 2) return out;
    if (bytes[1] == '\n') out.skip = 2;  // one empty line before the request line is ignored
  } else if (!bytes.empty() && bytes[0] == '\n') {
    out.state = HeadScan::State::kRefused;
    out.refusal = {ErrorKind::kBadRequest, "bare LF"};
    return out;
  }
  pos = out.skip;
  std::size_t line_start = pos;
  std::uint32_t fields = 0;
  bool first = true;
  auto refuse = [&](Refusal r) {
    out.state = HeadScan::State::kRefused;
    out.refusal = r;
    return out;
  };
  while (pos < bytes.size()) {
    const char c = bytes[pos];
    if (c == '\0') return refuse({ErrorKind::kBadRequest, "NUL in request head"});
    if (c == '\n') return refuse({ErrorKind::kBadRequest, "bare LF"});
    if (c != '\r') {
      ++pos;
      continue;
    }
    if (pos + 1 >= bytes.size()) break;  // need the byte after CR
    if (bytes[pos + 1] != '\n') return refuse({ErrorKind::kBadRequest, "bare CR"});
    const std::string_view line = bytes.substr(line_start, pos - line_start);
    pos += 2;
    if (!first && line.empty()) {
      out.state = HeadScan::State::kComplete;
      out.head_size = pos - out.skip;
      if (out.head_size > limits.max_header) return refuse({ErrorKind::kHeadersTooLarge, "request head too large"});
      return out;
    }
    if (auto r = check_line(line, first, limits)) return refuse(*r);
    if (!first && ++fields > limits.max_headers) return refuse({ErrorKind::kHeadersTooLarge, "too many header fields"});
    first = false;
    line_start = pos;
  }
  const std::size_t seen = bytes.size() - out.skip;
  if (first && seen > limits.max_uri + kRequestLineSlack) return refuse({ErrorKind::kUriTooLong, "request-target too long"});
  if (seen > limits.max_header) return refuse({ErrorKind::kHeadersTooLarge, "request head too large"});
  return out;
}

bool valid_host(std::string_view value) { return value.empty() || valid_authority(value); }

bool valid_origin_form(std::string_view target) {
  return !target.empty() && target.front() == '/' && valid_target_chars(target);
}

Refusal refusal_for_parse_error(const error_code& ec) {
  if (ec == http::error::header_limit) return {ErrorKind::kHeadersTooLarge, "request head too large"};
  if (ec == http::error::body_limit) return {ErrorKind::kPayloadTooLarge, "request body too large"};
  if (ec == http::error::bad_version) return {ErrorKind::kBadRequest, "malformed HTTP version"};
  if (ec == http::error::bad_content_length) return {ErrorKind::kBadRequest, "invalid Content-Length"};
  if (ec == http::error::bad_transfer_encoding) return {ErrorKind::kBadRequest, "invalid Transfer-Encoding"};
  if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension) {
    return {ErrorKind::kBadRequest, "invalid chunked encoding"};
  }
  return {ErrorKind::kBadRequest, "malformed request"};
}

std::variant<HeadFacts, Refusal> check_head(const http::request_header<>& head, const Limits& limits) {
  HeadFacts facts;
  const unsigned version = head.version();
  if (version != 10 && version != 11) return Refusal{ErrorKind::kVersionNotSupported, "unsupported HTTP version"};
  if (head.method() == http::verb::connect) return Refusal{ErrorKind::kBadRequest, "CONNECT is not supported"};

  // Host: exactly one on HTTP/1.1, at most one on HTTP/1.0, always a valid authority (RFC 9112 3.2).
  const CheckedFieldCounts counts = count_checked_fields(head);
  const std::size_t hosts = counts.host;
  if (hosts > 1) return Refusal{ErrorKind::kBadRequest, "more than one Host field"};
  if (hosts == 0 && version == 11) return Refusal{ErrorKind::kBadRequest, "missing Host field"};
  if (hosts == 1 && !valid_host(trim(head[http::field::host]))) return Refusal{ErrorKind::kBadRequest, "invalid Host"};

  // Request-target: origin-form, or absolute-form (http/https) which servers must accept.
  std::string_view target = head.target();
  if (target.size() > limits.max_uri) return Refusal{ErrorKind::kUriTooLong, "request-target too long"};
  if (!target.empty() && target.front() != '/') {
    if (target == "*") return Refusal{ErrorKind::kBadRequest, "asterisk-form is not supported"};
    std::size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return Refusal{ErrorKind::kBadRequest, "invalid request-target"};
    const auto scheme = target.substr(0, scheme_end);
    if (!common::ascii_iequals(scheme, "http") && !common::ascii_iequals(scheme, "https")) {
      return Refusal{ErrorKind::kBadRequest, "invalid request-target"};
    }
    auto rest = target.substr(scheme_end + 3);
    const auto slash = rest.find_first_of("/?");
    const auto authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos || !valid_authority(authority)) {
      return Refusal{ErrorKind::kBadRequest, "invalid request-target authority"};
    }
    target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (target.front() == '?') return Refusal{ErrorKind::kBadRequest, "invalid request-target"};
  }
  if (!valid_origin_form(target)) return Refusal{ErrorKind::kBadRequest, "invalid request-target"};
  facts.origin_target = target;
  facts.path = target.substr(0, target.find('?'));

  // Framing: never both, never a list, never anything but exactly `chunked` (RFC 9112 6.1, 6.3).
  const std::size_t cls = counts.content_length;
  const std::size_t tes = counts.transfer_encoding;
  if (cls > 1) return Refusal{ErrorKind::kBadRequest, "more than one Content-Length field"};
  if (tes > 1) return Refusal{ErrorKind::kBadRequest, "more than one Transfer-Encoding field"};
  if (cls == 1 && tes == 1) return Refusal{ErrorKind::kBadRequest, "both Content-Length and Transfer-Encoding"};
  if (tes == 1) {
    if (version == 10) return Refusal{ErrorKind::kBadRequest, "Transfer-Encoding on HTTP/1.0"};
    if (!common::ascii_iequals(trim(head[http::field::transfer_encoding]), "chunked")) {
      return Refusal{ErrorKind::kBadRequest, "Transfer-Encoding other than chunked"};
    }
    facts.chunked = true;
  }
  if (cls == 1) {
    const std::string_view v = trim(head[http::field::content_length]);
    if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Refusal{ErrorKind::kBadRequest, "invalid Content-Length"};
    }
    std::uint64_t n = 0;
    for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > limits.max_body) return Refusal{ErrorKind::kPayloadTooLarge, "request body too large"};
    facts.content_length = n;
  }

  // Expect: only 100-continue, and only answered to HTTP/1.1 (RFC 9110 10.1.1).
  const std::size_t expects = counts.expect;
  if (expects > 1) return Refusal{ErrorKind::kExpectationFailed, "unsupported expectation"};
  if (expects == 1) {
    if (!common::ascii_iequals(trim(head[http::field::expect]), "100-continue")) {
      return Refusal{ErrorKind::kExpectationFailed, "unsupported expectation"};
    }
    facts.expect_continue = version == 11 && (facts.chunked || facts.content_length.value_or(0) > 0);
  }
  return facts;
}

}  // namespace corral::http1
