// ASCII-only case folding for protocol text (header names, units, config keywords, model tags).
// Locale-free on purpose: HTTP and YAML keywords are ASCII, and std::tolower's locale lookup would make
// "I" fold differently under a Turkish locale.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace corral::common {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return ascii_lower(c); });
  return out;
}

}  // namespace corral::common
