// The `access_log` configuration block: where the per-request JSON lines go and which requests get one.
// Kept out of config.hpp's own file so the access log owns its keys (config.hpp only holds the field).
#pragma once

#include <string>

namespace YAML {
class Node;
}

namespace corral::config {
class YamlReader;
}

namespace corral::config {

/// Which requests get an access-log line.
enum class AccessLogLevel {
  kInfo,   ///< every request
  kWarn,   ///< 4xx, 5xx and 499 (client gone)
  kError,  ///< 5xx only
  kOff,    ///< none
};

/// `access_log`: one JSON line per request answered by the proxy (docs/observability.md#access-log).
struct AccessLogConfig {
  /// `access_log.path` (string, default `stderr`): `stdout`, `stderr`, or a file appended to.
  std::string path = "stderr";
  /// `access_log.format` (string, default `json`): JSON lines; the only format so far.
  std::string format = "json";
  /// `access_log.level` (`info` | `warn` | `error` | `off`, default `info`): see AccessLogLevel.
  AccessLogLevel level = AccessLogLevel::kInfo;
};

/// Reads the `access_log` mapping (strict: unknown keys and values fail with their position).
[[nodiscard]] AccessLogConfig load_access_log(const config::YamlReader& r, const YAML::Node& node);

}  // namespace corral::config
