// `corral hash-key`: API keys are configured as SHA-256 digests, never in clear text.
#pragma once

#include <string>
#include <string_view>

namespace corral::app {

/// Lower-case hex SHA-256 of `key`.
[[nodiscard]] std::string sha256_hex(std::string_view key);

}  // namespace corral::app
