#include "config/auth_config.hpp"

#include <boost/asio/ip/address.hpp>

namespace corral::config {

bool auth_enabled(const AuthConfig& config, std::string_view listen_host) {
  if (config.enabled) return *config.enabled;
  if (!config.keys.empty()) return true;
  if (listen_host == "localhost") return false;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(listen_host), ec);
  // An empty host or 0.0.0.0 / :: listens on every interface: not loopback, so keys are required.
  return ec || !address.is_loopback();
}

}  // namespace corral::config
