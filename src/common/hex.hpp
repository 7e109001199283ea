// Hex text to bytes, for digests written in the configuration (API keys' sha256).
#pragma once

#include <array>
#include <string_view>

namespace corral::common {

/// Parses 64 hex digits (either case) into a digest; false when malformed.
[[nodiscard]] bool parse_sha256_hex(std::string_view hex, std::array<unsigned char, 32>& out);

}  // namespace corral::common
