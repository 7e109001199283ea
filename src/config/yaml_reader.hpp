// Strict, position-aware access to yaml-cpp nodes for the configuration loader: every failure throws
// ConfigError as `file:line:column: message` (yaml-cpp marks are 0-based; messages are 1-based).
// Keys are checked against an allow-list and for repeats; scalars are typed strictly (a quoted "5" is
// not an integer, `yes` is not a boolean).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"

namespace corral::config {

class YamlReader final {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const;
  [[noreturn]] void fail(const YAML::Mark& at, const std::string& message) const;

  /// `node` must be a mapping whose keys are all in `allowed`, none repeated; `where` names it in messages
  /// ("the top level", "pools[0]").
  void check_map(const YAML::Node& node, std::initializer_list<std::string_view> allowed,
                 std::string_view where) const;
  /// `node` must be a sequence (`path` names it).
  void check_sequence(const YAML::Node& node, std::string_view path) const;

  /// A non-null scalar, as written.
  [[nodiscard]] std::string string(const YAML::Node& node, std::string_view path) const;
  /// A plain (unquoted) decimal integer within [min, max].
  [[nodiscard]] std::uint64_t unsigned_int(const YAML::Node& node, std::string_view path, std::uint64_t min,
                                           std::uint64_t max) const;
  /// A plain decimal number within [min, max].
  [[nodiscard]] double number(const YAML::Node& node, std::string_view path, double min, double max) const;
  /// `true` or `false` (any case), unquoted.
  [[nodiscard]] bool boolean(const YAML::Node& node, std::string_view path) const;
  /// A Go-style duration with a unit (`300ms`, `30s`, `1h30m`; `0` alone is allowed when zero is).
  [[nodiscard]] Duration duration(const YAML::Node& node, std::string_view path, bool allow_zero,
                                  bool allow_negative = false) const;
  /// A size (`64MiB`, `16KiB`, `1GB`) or a plain integer number of bytes, at least `min`.
  [[nodiscard]] std::uint64_t size(const YAML::Node& node, std::string_view path, std::uint64_t min) const;

 private:
  std::string file_;
};

}  // namespace corral::config
