#include "metrics/promql_names.hpp"

#include <array>
#include <cctype>

namespace corral::metrics {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Index just past the closing `close` that balances the `open` at s[i]; quotes are skipped.
std::size_t skip_balanced(std::string_view s, std::size_t i, char open, char close) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      const char q = c;
      for (++i; i < s.size() && s[i] != q; ++i) {
        if (s[i] == '\\' && q != '`') ++i;
      }
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
  }
  return s.size();
}

// Operators and aggregations; an aggregation may be followed by `by (...)` before its "(", so
// "followed by (" alone does not catch it.
bool is_keyword(std::string_view w) {
  static constexpr std::array<std::string_view, 22> k = {
      "and",   "or",     "unless", "bool",   "offset", "inf",     "nan",          "atan2",
      "start", "end",    "sum",    "min",    "max",    "avg",     "group",        "stddev",
      "stdvar", "count", "count_values", "bottomk", "topk", "quantile"};
  for (auto x : k) {
    if (x == w) return true;
  }
  return false;
}

bool takes_label_list(std::string_view w) {
  return w == "by" || w == "without" || w == "on" || w == "ignoring" || w == "group_left" || w == "group_right";
}

}  // namespace

std::vector<std::string> metric_names_in(std::string_view s) {
  std::vector<std::string> names;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (s[j] == '\\' && c != '`') ++j;
      }
      i = j + 1;
    } else if (c == '{') {
      i = skip_balanced(s, i, '{', '}');
    } else if (c == '[') {
      i = skip_balanced(s, i, '[', ']');
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '$') {
      ++i;
      if (i < s.size() && s[i] == '{') i = skip_balanced(s, i, '{', '}');
      else while (i < s.size() && ident_char(s[i])) ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      // Numbers, hex, exponents and durations such as 5m or 1h30m.
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    } else if (ident_start(c)) {
      std::size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      const std::string_view word = s.substr(i, j - i);
      std::size_t k = j;
      while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
      if (takes_label_list(word)) {
        i = (k < s.size() && s[k] == '(') ? skip_balanced(s, k, '(', ')') : k;
        continue;
      }
      const bool call = k < s.size() && s[k] == '(';
      if (!call && !is_keyword(word)) names.emplace_back(word);
      i = j;
    } else {
      ++i;
    }
  }
  return names;
}

}  // namespace corral::metrics
