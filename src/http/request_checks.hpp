// Strict validation of a client's request head (RFC 9112 and reliability.md section 2), in two steps:
// scan_head() reads the raw bytes as they arrive, before Beast sees them, and refuses what Beast would
// silently repair or cannot count (bare CR/LF, NUL, obs-fold, whitespace before the colon, too many
// fields, an over-long request-target); check_head() then checks the parsed head (version, Host,
// Content-Length/Transfer-Encoding, target form, Expect, declared body size). Pure functions; no I/O.
// Namespace http1 because corral::http is the Beast alias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "common/asio.hpp"
#include "common/error.hpp"

namespace corral::http1 {

struct Limits {
  std::uint64_t max_header = 16 * 1024;  ///< request line + fields + blank line
  std::uint32_t max_headers = 100;       ///< header fields
  std::uint64_t max_uri = 8 * 1024;      ///< request-target bytes
  std::uint64_t max_body = 64ULL << 20;  ///< body bytes (declared or read)
};

/// Why a head is refused: kBadRequest (400), kHeadersTooLarge (431), kUriTooLong (414),
/// kPayloadTooLarge (413), kExpectationFailed (417), kVersionNotSupported (505). `reason` is static text.
struct Refusal {
  ErrorKind kind = ErrorKind::kBadRequest;
  std::string_view reason;
};

struct HeadScan {
  enum class State { kNeedMore, kComplete, kRefused };
  State state = State::kNeedMore;
  std::size_t skip = 0;       ///< leading empty line (CRLF) to drop before the request line (RFC 9112 2.2)
  std::size_t head_size = 0;  ///< kComplete: bytes of the head after `skip`, up to and including CRLFCRLF
  Refusal refusal;            ///< kRefused
};

/// Scans the bytes received so far on a connection (from the start of this request). kNeedMore when the
/// head is incomplete and nothing is wrong yet. O(size); call again with more bytes.
[[nodiscard]] HeadScan scan_head(std::string_view bytes, const Limits& limits);

/// What check_head learned, for the rest of the request's path.
struct HeadFacts {
  bool expect_continue = false;               ///< answer 100 Continue before reading the body
  bool chunked = false;                       ///< body framed by chunked encoding
  std::optional<std::uint64_t> content_length;
  std::string_view origin_target;             ///< path[?query] (a view into the header's target)
  std::string_view path;                      ///< origin_target without the query
};

/// Checks a head Beast parsed (after scan_head accepted its bytes).
[[nodiscard]] std::variant<HeadFacts, Refusal> check_head(const http::request_header<>& head, const Limits& limits);

/// True when `value` is a valid Host field value: empty, or uri-host [":" port] (RFC 9110 7.2).
[[nodiscard]] bool valid_host(std::string_view value);

/// True when `target` is a valid origin-form request-target (no fragment, only RFC 3986 characters).
[[nodiscard]] bool valid_origin_form(std::string_view target);

/// Maps a Beast parse error on a request head to a refusal (header_limit -> 431, others -> 400).
[[nodiscard]] Refusal refusal_for_parse_error(const error_code& ec);

}  // namespace corral::http1
