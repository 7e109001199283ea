#include "config/access_log_config.hpp"

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.hpp"

namespace corral::config {

AccessLogConfig load_access_log(const config::YamlReader& r, const YAML::Node& node) {
  AccessLogConfig c;
  r.check_map(node, {"path", "format", "level"}, "access_log");
  if (auto n = node["path"]) {
    c.path = r.string(n, "access_log.path");
    if (c.path.empty()) r.fail(n, "access_log.path: must be stdout, stderr or a file path (use level: off to disable)");
  }
  if (auto n = node["format"]) {
    c.format = r.string(n, "access_log.format");
    if (c.format != "json") r.fail(n, "access_log.format: must be json; got '" + c.format + "'");
  }
  if (auto n = node["level"]) {
    const std::string level = r.string(n, "access_log.level");
    if (level == "info") {
      c.level = AccessLogLevel::kInfo;
    } else if (level == "warn") {
      c.level = AccessLogLevel::kWarn;
    } else if (level == "error") {
      c.level = AccessLogLevel::kError;
    } else if (level == "off") {
      c.level = AccessLogLevel::kOff;
    } else {
      r.fail(n, "access_log.level: must be info, warn, error or off; got '" + level + "'");
    }
  }
  return c;
}

}  // namespace corral::config
