#include "common/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/ascii.hpp"

namespace corral::units {
namespace {

// Parses a non-negative decimal such as "4", "4.7" or ".5" from the front of `s`.
// Returns the value and advances `s`; nullopt when there are no digits at all.
std::optional<double> take_number(std::string_view& s) {
  std::size_t i = 0;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; digits = true; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; digits = true; }
  }
  if (!digits) return std::nullopt;
  const std::string copy(s.substr(0, i));
  s.remove_prefix(i);
  return std::strtod(copy.c_str(), nullptr);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::string_view s = trim(text);
  auto number = take_number(s);
  if (!number) return std::nullopt;
  s = trim(s);
  struct Unit { std::string_view name; double factor; };
  static constexpr Unit kUnits[] = {
      {"", 1},           {"B", 1},
      {"KB", 1e3},       {"MB", 1e6},       {"GB", 1e9},       {"TB", 1e12},
      {"KiB", 1024.0},   {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
      {"K", 1e3},        {"M", 1e6},        {"G", 1e9},        {"T", 1e12},
  };
  for (const auto& unit : kUnits) {
    if (!common::ascii_iequals(s, unit.name)) continue;
    const double bytes = *number * unit.factor;
    if (!std::isfinite(bytes) || bytes >= 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(bytes));
  }
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  std::string_view s = trim(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds{0};
  if (s.empty()) return std::nullopt;
  struct Unit { std::string_view name; double ns; };
  // Longest names first so "ms" is not read as "m" followed by junk.
  static constexpr Unit kUnits[] = {{"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
                                    {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  while (!s.empty()) {
    auto number = take_number(s);
    if (!number) return std::nullopt;
    const Unit* found = nullptr;
    for (const auto& unit : kUnits) {
      if (s.substr(0, unit.name.size()) == unit.name &&
          (found == nullptr || unit.name.size() > found->name.size())) {
        found = &unit;
      }
    }
    if (found == nullptr) return std::nullopt;  // Go: "missing unit" or "unknown unit"
    s.remove_prefix(found->name.size());
    total += *number * found->ns;
  }
  if (total >= 9.2e18) return std::nullopt;  // overflows int64 nanoseconds, as Go reports
  const auto ns = std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(total))};
  return negative ? -ns : ns;
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  std::string_view s = trim(text);
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  std::string_view rest = body;
  if (auto seconds = take_number(rest); seconds && rest.empty()) {
    if (*seconds >= 9.2e9) return std::nullopt;
    const auto ns = std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(*seconds * 1e9))};
    return negative ? -ns : ns;
  }
  return parse_go_duration(s);
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* kNames[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 5) { value /= 1024.0; ++unit; }
  char buf[32];
  if (unit == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", value, kNames[unit]);
  return buf;
}

std::string format_go_duration(std::chrono::nanoseconds d) {
  std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  std::uint64_t u = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  char buf[64];
  if (u < 1000000000ULL) {
    // Sub-second: Go picks ns, µs or ms with a fractional part.
    const char* unit = "ns";
    double v = static_cast<double>(u);
    if (u >= 1000000ULL) { unit = "ms"; v /= 1e6; }
    else if (u >= 1000ULL) { unit = "\xC2\xB5s"; v /= 1e3; }
    std::snprintf(buf, sizeof buf, "%.9g%s", v, unit);
    return sign + buf;
  }
  const std::uint64_t hours = u / 3600000000000ULL;
  u -= hours * 3600000000000ULL;
  const std::uint64_t minutes = u / 60000000000ULL;
  u -= minutes * 60000000000ULL;
  const double seconds = static_cast<double>(u) / 1e9;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  std::snprintf(buf, sizeof buf, "%.9g", seconds);
  out += buf;
  out += "s";
  return out;
}

}  // namespace corral::units
