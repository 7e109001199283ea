#include "auth/access_policy.hpp"

#include "config/endpoint_address.hpp"

namespace corral::auth {
namespace {

// `auth.enabled` left out is resolved against the public listener (config::auth_enabled): a gateway
// reachable from the network never runs open by accident.
KeyStore resolved_key_store(const config::Config& c) {
  config::AuthConfig resolved = c.auth;
  const auto hp = config::parse_host_port(c.listen);
  resolved.enabled = config::auth_enabled(c.auth, hp ? std::string_view(hp->host) : std::string_view{});
  return KeyStore(resolved);
}

}  // namespace

AccessPolicy::AccessPolicy(const config::Config& c, const routing::ModelMatcher& m)
    : config(c), keys(resolved_key_store(c)), trusted(c.trusted_proxies.cidrs), matcher(m) {}

}  // namespace corral::auth
