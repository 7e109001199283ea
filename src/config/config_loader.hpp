// Reads Corral's YAML configuration strictly: unknown keys, wrong types and impossible values are
// errors (ConfigError, `file:line:column: message`), never silently ignored. Also builds the quick-mode
// configuration of `corral serve --listen ... --backend ...`. Startup and reload only (may throw).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_error.hpp"

namespace corral::config {

/// Reads and validates the file at `path`. Throws ConfigError (also when the file cannot be read).
[[nodiscard]] Config load_config(const std::string& path);

/// Parses and validates `yaml_text`; `file_name_for_errors` prefixes every error message.
[[nodiscard]] Config parse_config(std::string_view yaml_text, std::string_view file_name_for_errors);

/// Quick mode: one pool "default" with `backend_urls` (in order), policy model_aware (warm-first, then least
/// loaded: the right default for a fleet of Ollama servers), every model routed to it; everything else at
/// its default. `threads` 0 = one per core. Throws ConfigError (file name "<command line>") on a bad URL,
/// a bad listen address, a duplicate backend or no backend at all.
[[nodiscard]] Config quick_config(const std::string& listen, const std::vector<std::string>& backend_urls,
                                  std::uint32_t threads);

}  // namespace corral::config
