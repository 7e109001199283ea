// Typed scalar parsing with exact messages; yaml-cpp's own as<T>() is too lenient (it takes `yes`, `0x10`).
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "common/units.hpp"
#include "config/config_error.hpp"
#include "common/ascii.hpp"

namespace corral::config {
namespace {

bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "'" + node.Scalar() + "'";
  }
}

}  // namespace

void YamlReader::fail(const YAML::Mark& at, const std::string& message) const {
  const int line = at.is_null() ? 1 : at.line + 1;
  const int column = at.is_null() ? 1 : at.column + 1;
  throw ConfigError(file_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message);
}

void YamlReader::fail(const YAML::Node& at, const std::string& message) const { fail(at.Mark(), message); }

void YamlReader::check_map(const YAML::Node& node, std::initializer_list<std::string_view> allowed,
                           std::string_view where) const {
  if (!node.IsMap()) fail(node, std::string(where) + " must be a mapping, got " + kind_of(node));
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) fail(key, "keys in " + std::string(where) + " must be plain names");
    const std::string& name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      fail(key, "unknown key '" + name + "' in " + std::string(where));
    }
    if (!seen.insert(name).second) fail(key, "duplicate key '" + name + "' in " + std::string(where));
  }
}

void YamlReader::check_sequence(const YAML::Node& node, std::string_view path) const {
  if (!node.IsSequence()) fail(node, std::string(path) + ": must be a list, got " + kind_of(node));
}

std::string YamlReader::string(const YAML::Node& node, std::string_view path) const {
  if (!node.IsScalar()) fail(node, std::string(path) + ": must be a string, got " + kind_of(node));
  return node.Scalar();
}

std::uint64_t YamlReader::unsigned_int(const YAML::Node& node, std::string_view path, std::uint64_t min,
                                       std::uint64_t max) const {
  const std::string p(path);
  if (!node.IsScalar() || is_quoted(node)) fail(node, p + ": must be an integer, got " + kind_of(node));
  const std::string& text = node.Scalar();
  if (!text.empty() && text.front() == '-') fail(node, p + ": must not be negative, got '" + text + "'");
  std::uint64_t value = 0;
  const char* first = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || first == text.data() + text.size()) {
    fail(node, p + ": must be an integer, got '" + text + "'");
  }
  if (value < min || value > max) {
    fail(node, p + ": must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
  }
  return value;
}

double YamlReader::number(const YAML::Node& node, std::string_view path, double min, double max) const {
  const std::string p(path);
  if (!node.IsScalar() || is_quoted(node)) fail(node, p + ": must be a number, got " + kind_of(node));
  const std::string& text = node.Scalar();
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) {
    fail(node, p + ": must be a number, got '" + text + "'");
  }
  if (!(value >= min && value <= max)) {
    fail(node, p + ": must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
  }
  return value;
}

bool YamlReader::boolean(const YAML::Node& node, std::string_view path) const {
  if (node.IsScalar() && !is_quoted(node)) {
    const std::string text = common::ascii_lower(node.Scalar());
    if (text == "true") return true;
    if (text == "false") return false;
  }
  fail(node, std::string(path) + ": must be true or false, got " + kind_of(node));
}

Duration YamlReader::duration(const YAML::Node& node, std::string_view path, bool allow_zero,
                              bool allow_negative) const {
  const std::string p(path);
  if (!node.IsScalar()) fail(node, p + ": must be a duration such as 30s, got " + kind_of(node));
  const auto parsed = units::parse_go_duration(node.Scalar());
  if (!parsed) {
    fail(node, p + ": must be a duration with a unit (ns, us, ms, s, m, h), e.g. 30s or 1m30s; got '" +
                   node.Scalar() + "'");
  }
  if (parsed->count() < 0 && !allow_negative) fail(node, p + ": must not be negative, got " + node.Scalar());
  if (parsed->count() == 0 && !allow_zero) fail(node, p + ": must be greater than 0");
  return *parsed;
}

std::uint64_t YamlReader::size(const YAML::Node& node, std::string_view path, std::uint64_t min) const {
  const std::string p(path);
  if (!node.IsScalar()) fail(node, p + ": must be a size such as 64MiB, got " + kind_of(node));
  const auto parsed = units::parse_size(node.Scalar());
  if (!parsed) fail(node, p + ": must be a size such as 16KiB, 64MiB or 24GiB; got '" + node.Scalar() + "'");
  if (*parsed < min) fail(node, p + ": must be at least " + std::to_string(min) + " bytes, got " + node.Scalar());
  return *parsed;
}

}  // namespace corral::config
