// The simulator's response bytes, written by hand the way Go's net/http frames them: status line,
// Content-Type, Date, then Content-Length or Transfer-Encoding: chunked. Building the head into a
// reused string keeps the per-request path free of Beast's header containers. Also a cached Date and
// a fast RFC 3339 UTC stamp for the per-chunk `created_at`.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace corral::sim {

inline constexpr std::string_view kJson = "application/json; charset=utf-8";
inline constexpr std::string_view kJsonPlain = "application/json";
inline constexpr std::string_view kNdjson = "application/x-ndjson";
inline constexpr std::string_view kEventStream = "text/event-stream";
inline constexpr std::string_view kTextPlain = "text/plain";
inline constexpr std::string_view kTextUtf8 = "text/plain; charset=utf-8";

/// Appends a response head. `content_length` nullopt = chunked body; `close` adds Connection: close.
/// An empty `content_type` omits the field (Go omits it for empty bodies).
void append_head(std::string& out, int status, std::string_view content_type,
                 std::optional<std::size_t> content_length, bool close,
                 std::string_view extra_headers = {});

/// Appends one chunk of a chunked body ("<hex>\r\n<data>\r\n"). `data` must not be empty.
void append_chunk(std::string& out, std::string_view data);

inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

/// "Mon, 02 Jan 2006 15:04:05 GMT" for now, computed once per second per thread.
[[nodiscard]] std::string_view http_date();

/// Appends `t` as Go prints a UTC time.Time: RFC 3339 with nanoseconds, trailing zeros trimmed.
void append_rfc3339_utc(std::string& out, std::chrono::system_clock::time_point t);

/// The standard reason phrase ("Not Found").
[[nodiscard]] std::string_view reason_phrase(int status);

}  // namespace corral::sim
