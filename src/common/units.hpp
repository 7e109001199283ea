// Sizes and durations as users write them, in flags and configuration alike.
// Sizes: a number with B, KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024);
// a bare number is bytes. Durations: Go's time.ParseDuration forms ("300ms", "1h30m", "-1m")
// as Ollama accepts them, plus Ollama's bare number of seconds ("300", "1.5").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::units {

/// Bytes, or nullopt when `text` is not a size (negative, unknown unit, overflow).
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

/// Strict Go time.ParseDuration: a unit is required except for "0". Nullopt on error.
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

/// Go duration or a bare number of seconds (Ollama's OLLAMA_KEEP_ALIVE form). Nullopt on error.
/// Negative values are returned as they are; callers that follow Ollama read them as "forever".
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// "4.7 GB", "512 MiB"-style text for logs and pages (powers of 1024 with IEC units).
[[nodiscard]] std::string format_size(std::uint64_t bytes);

/// Go's Duration.String(): "1h30m0s", "1.5s", "300ms", "0s".
[[nodiscard]] std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace corral::units
