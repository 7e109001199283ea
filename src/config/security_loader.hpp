// The schema of the security sections of corral.yaml (`tls`, `admin.tls`, `auth`, `rate_limits`,
// `trusted_proxies`, `redis`): key allow-lists, types, ranges and the checks that need the auth,
// shared_state and tls vocabularies (digests, CIDRs, Redis URLs, readable certificate files). Kept apart
// from config_loader.cpp so the two can change independently; config_loader calls in here.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace corral::config {

/// `tls` / `admin.tls` at `path`.
[[nodiscard]] config::TlsConfig load_tls(const YamlReader& r, const YAML::Node& n, std::string_view path);
/// `tls_ca` and `tls_verify` of the backend at `path` (already parsed from its `url` into `b`).
void load_backend_tls(const YamlReader& r, const YAML::Node& n, const std::string& path, BackendConfig& b);
/// `auth`.
[[nodiscard]] config::AuthConfig load_auth(const YamlReader& r, const YAML::Node& n);
/// `rate_limits`.
[[nodiscard]] config::RateLimitConfig load_rate_limits(const YamlReader& r, const YAML::Node& n);
/// `trusted_proxies`.
[[nodiscard]] config::TrustedProxyConfig load_trusted_proxies(const YamlReader& r, const YAML::Node& n);
/// `redis`.
[[nodiscard]] config::RedisConfig load_redis(const YamlReader& r, const YAML::Node& n);

}  // namespace corral::config
