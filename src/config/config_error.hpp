// The one exception type of configuration loading: its what() is the whole message a user sees,
// `file:line:column: message naming the key` (1-based line and column).
#pragma once

#include <stdexcept>
#include <string>

namespace corral::config {

class ConfigError final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace corral::config
