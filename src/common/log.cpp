#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace corral::log {

void init(std::string_view level) {
  static std::once_flag once;
  std::call_once(once, [&] {
    auto logger = spdlog::stderr_color_mt("corral");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
    spdlog::set_default_logger(logger);
  });
  const char* env = std::getenv("CORRAL_LOG_LEVEL");
  const std::string name = env != nullptr ? std::string(env) : std::string(level);
  spdlog::set_level(spdlog::level::from_str(name));
}

std::string sanitize(std::string_view text) {
  constexpr std::size_t kMax = 128;
  std::string out;
  out.reserve(std::min(text.size(), kMax) + 8);
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace corral::log
