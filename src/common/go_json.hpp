// JSON text exactly as Go's encoding/json writes it, so the simulator's bytes and the
// gateway's own error bodies look like Ollama's: HTML characters escaped (\u003c, \u003e,
// \u0026), U+2028/U+2029 escaped, invalid UTF-8 replaced by U+FFFD, and RFC 3339 times with
// nanoseconds and trailing zeros trimmed.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace corral::gojson {

/// Appends `s` as a quoted JSON string.
void append_string(std::string& out, std::string_view s);

/// `s` as a quoted JSON string.
[[nodiscard]] std::string quote(std::string_view s);

/// `{"error":"<message>"}` with Go's escaping and no trailing newline (gin's c.JSON).
[[nodiscard]] std::string error_body(std::string_view message);

/// "2023-08-04T19:22:45.499127Z": UTC, nanoseconds with trailing zeros trimmed.
[[nodiscard]] std::string rfc3339_utc(std::chrono::system_clock::time_point t);

/// The same instant in the machine's local time with its offset ("...+02:00"), as Go prints
/// `expires_at` in /api/ps.
[[nodiscard]] std::string rfc3339_local(std::chrono::system_clock::time_point t);

}  // namespace corral::gojson
