// Glob matching with the classic single-backtrack algorithm: linear in practice, no recursion, no
// allocation; a `*` remembers where to resume when a later literal fails.
#include "routing/model_matcher.hpp"

#include <algorithm>
#include <cctype>

#include "routing/model_name.hpp"

namespace corral::routing {
namespace {

char fold(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool pattern_has_tag(std::string_view pattern) {
  const auto colon = pattern.rfind(':');
  const auto slash = pattern.rfind('/');
  return colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || fold(pattern[p]) == fold(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

ModelMatcher::ModelMatcher(const config::Config& config) {
  for (const config::ModelRoute& route : config.models) {
    Rule rule;
    rule.pattern = route.match;
    std::transform(rule.pattern.begin(), rule.pattern.end(), rule.pattern.begin(), fold);
    rule.has_tag = pattern_has_tag(rule.pattern);
    rule.pool = config.pool_index(route.pool).value_or(0);
    rules_.push_back(std::move(rule));
  }
  default_pool_ = config.pool_index(config.default_pool).value_or(0);
}

std::size_t ModelMatcher::rule_for(std::string_view model_key) const {
  const std::string_view untagged = strip_tag(model_key);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (glob_match(rules_[i].pattern, rules_[i].has_tag ? model_key : untagged)) return i;
  }
  return npos;
}

std::size_t ModelMatcher::pool_for(std::string_view model_key) const {
  const std::size_t rule = rule_for(model_key);
  return rule == npos ? default_pool_ : rules_[rule].pool;
}

}  // namespace corral::routing
