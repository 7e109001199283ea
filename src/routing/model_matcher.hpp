// Model -> pool: the `models` rules of the configuration (first match wins, glob on the routing key),
// compiled once per configuration. Pure and immutable after construction, so safe on every thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace corral::routing {

/// `*` any run (also empty), `?` one character; otherwise exact, ASCII case-insensitive.
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view text);

class ModelMatcher final {
 public:
  /// Requires a validated configuration (every rule's pool exists; default pool resolved).
  explicit ModelMatcher(const config::Config& config);

  /// Index into config.pools for `model_key`: the first matching rule's pool, else the default pool.
  [[nodiscard]] std::size_t pool_for(std::string_view model_key) const;
  /// The first matching rule (index into config.models), or npos when only the default applies.
  [[nodiscard]] std::size_t rule_for(std::string_view model_key) const;

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  struct Rule {
    std::string pattern;  // lower case
    bool has_tag = false;
    std::size_t pool = 0;
  };
  std::vector<Rule> rules_;
  std::size_t default_pool_ = 0;
};

}  // namespace corral::routing
