#include "config/security_loader.hpp"

#include <chrono>
#include <fstream>
#include <set>

#include "common/hex.hpp"
#include "common/ip_network.hpp"

namespace corral::config {
namespace {

using std::chrono::milliseconds;

milliseconds millis(const YamlReader& r, const YAML::Node& n, const std::string& path) {
  return std::chrono::duration_cast<milliseconds>(r.duration(n, path, false));
}

std::vector<std::string> string_list(const YamlReader& r, const YAML::Node& n, const std::string& path) {
  r.check_sequence(n, path);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    out.push_back(r.string(n[i], path + "[" + std::to_string(i) + "]"));
    if (out.back().empty()) r.fail(n[i], path + "[" + std::to_string(i) + "]: must not be empty");
  }
  return out;
}

config::RequestLimit request_limit(const YamlReader& r, const YAML::Node& n, const std::string& path) {
  r.check_map(n, {"requests", "interval"}, path);
  config::RequestLimit l;
  if (auto v = n["requests"]) l.requests = static_cast<std::uint32_t>(r.unsigned_int(v, path + ".requests", 0, 100'000'000));
  if (auto v = n["interval"]) l.interval = millis(r, v, path + ".interval");
  if (l.interval.count() <= 0) r.fail(n["interval"], path + ".interval: must be at least 1ms");
  return l;
}

// Read at load time so a typo fails `check-config` and a reload, not the first TLS handshake.
void require_readable(const YamlReader& r, const YAML::Node& n, const std::string& path, const std::string& file) {
  if (!std::ifstream(file, std::ios::binary)) r.fail(n, path + ": cannot read '" + file + "'");
}

config::ApiKeyConfig api_key(const YamlReader& r, const YAML::Node& n, const std::string& path) {
  r.check_map(n, {"name", "sha256", "role", "allowed_pools", "allowed_models", "limits"}, path);
  config::ApiKeyConfig k;
  auto name = n["name"];
  if (!name) r.fail(n, "missing key 'name' in " + path);
  k.name = r.string(name, path + ".name");
  if (k.name.empty()) r.fail(name, path + ".name: must not be empty");
  auto sha = n["sha256"];
  if (!sha) r.fail(n, "missing key 'sha256' in " + path + " (print one with `corral hash-key`)");
  k.sha256 = r.string(sha, path + ".sha256");
  std::array<unsigned char, 32> digest{};
  if (!common::parse_sha256_hex(k.sha256, digest)) {
    r.fail(sha, path + ".sha256: must be 64 hex digits, the SHA-256 of the key (`corral hash-key`)");
  }
  if (auto v = n["role"]) {
    const std::string role = r.string(v, path + ".role");
    if (role == "user") {
      k.role = config::Role::kUser;
    } else if (role == "admin") {
      k.role = config::Role::kAdmin;
    } else {
      r.fail(v, path + ".role: expected user or admin; got '" + role + "'");
    }
  }
  if (auto v = n["allowed_pools"]) k.allowed_pools = string_list(r, v, path + ".allowed_pools");
  if (auto v = n["allowed_models"]) k.allowed_models = string_list(r, v, path + ".allowed_models");
  if (auto l = n["limits"]) {
    const std::string lpath = path + ".limits";
    r.check_map(l, {"requests", "interval", "tokens_per_minute"}, lpath);
    if (auto v = l["requests"]) k.limits.requests.requests = static_cast<std::uint32_t>(r.unsigned_int(v, lpath + ".requests", 0, 100'000'000));
    if (auto v = l["interval"]) k.limits.requests.interval = millis(r, v, lpath + ".interval");
    if (k.limits.requests.interval.count() <= 0) r.fail(l["interval"], lpath + ".interval: must be at least 1ms");
    if (auto v = l["tokens_per_minute"]) k.limits.tokens_per_minute = r.unsigned_int(v, lpath + ".tokens_per_minute", 0, 1'000'000'000'000ULL);
  }
  return k;
}

}  // namespace

config::TlsConfig load_tls(const YamlReader& r, const YAML::Node& n, std::string_view where) {
  const std::string path(where);
  r.check_map(n, {"cert_file", "key_file"}, path);
  config::TlsConfig t;
  auto cert = n["cert_file"];
  auto key = n["key_file"];
  if (!cert || !key) r.fail(n, path + ": needs both cert_file and key_file");
  t.cert_file = r.string(cert, path + ".cert_file");
  t.key_file = r.string(key, path + ".key_file");
  require_readable(r, cert, path + ".cert_file", t.cert_file);
  require_readable(r, key, path + ".key_file", t.key_file);
  return t;
}

void load_backend_tls(const YamlReader& r, const YAML::Node& n, const std::string& path, BackendConfig& b) {
  for (const char* key : {"tls_ca", "tls_verify"}) {
    if (n[key] && !b.tls) r.fail(n[key], path + "." + key + ": applies only to an https:// url");
  }
  if (auto v = n["tls_ca"]) {
    b.tls_ca = r.string(v, path + ".tls_ca");
    require_readable(r, v, path + ".tls_ca", b.tls_ca);
  }
  if (auto v = n["tls_verify"]) b.tls_verify = r.boolean(v, path + ".tls_verify");
}

config::AuthConfig load_auth(const YamlReader& r, const YAML::Node& n) {
  r.check_map(n, {"enabled", "keys"}, "auth");
  config::AuthConfig a;
  if (auto v = n["enabled"]) a.enabled = r.boolean(v, "auth.enabled");
  if (auto keys = n["keys"]) {
    r.check_sequence(keys, "auth.keys");
    std::set<std::string, std::less<>> names;
    std::set<std::string, std::less<>> digests;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::string path = "auth.keys[" + std::to_string(i) + "]";
      config::ApiKeyConfig k = api_key(r, keys[i], path);
      if (!names.insert(k.name).second) r.fail(keys[i]["name"], path + ".name: duplicate key name '" + k.name + "'");
      std::string lower = k.sha256;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!digests.insert(lower).second) r.fail(keys[i]["sha256"], path + ".sha256: same digest as an earlier key");
      a.keys.push_back(std::move(k));
    }
  }
  if (a.enabled.value_or(false) && a.keys.empty()) r.fail(n, "auth: enabled with no keys would refuse every request");
  return a;
}

config::RateLimitConfig load_rate_limits(const YamlReader& r, const YAML::Node& n) {
  r.check_map(n, {"per_ip", "max_buckets"}, "rate_limits");
  config::RateLimitConfig c;
  if (auto v = n["per_ip"]) c.per_ip = request_limit(r, v, "rate_limits.per_ip");
  if (auto v = n["max_buckets"]) c.max_buckets = static_cast<std::uint32_t>(r.unsigned_int(v, "rate_limits.max_buckets", 16, 100'000'000));
  return c;
}

config::TrustedProxyConfig load_trusted_proxies(const YamlReader& r, const YAML::Node& n) {
  config::TrustedProxyConfig t;
  t.cidrs = string_list(r, n, "trusted_proxies");
  for (std::size_t i = 0; i < t.cidrs.size(); ++i) {
    if (!common::parse_cidr(t.cidrs[i])) {
      r.fail(n[i], "trusted_proxies[" + std::to_string(i) + "]: '" + t.cidrs[i] +
                       "' is not an address or CIDR with clear host bits (e.g. 10.0.0.0/8, fd00::/8)");
    }
  }
  return t;
}

config::RedisConfig load_redis(const YamlReader& r, const YAML::Node& n) {
  r.check_map(n, {"url", "timeout", "fail_mode", "connect_timeout", "command_timeout", "key_prefix", "reconnect_min",
                  "reconnect_max", "max_pending"},
              "redis");
  config::RedisConfig c;
  auto url = n["url"];
  if (!url) r.fail(n, "missing key 'url' in redis");
  c.url = r.string(url, "redis.url");
  std::string error;
  if (!config::parse_redis_url(c.url, error)) r.fail(url, error);
  if (auto v = n["timeout"]) c.timeout = millis(r, v, "redis.timeout");
  if (auto v = n["fail_mode"]) {
    const std::string mode = r.string(v, "redis.fail_mode");
    if (mode == "open") {
      c.fail_mode = config::FailMode::kOpen;
    } else if (mode == "closed") {
      c.fail_mode = config::FailMode::kClosed;
    } else {
      r.fail(v, "redis.fail_mode: expected open or closed; got '" + mode + "'");
    }
  }
  if (auto v = n["connect_timeout"]) c.connect_timeout = millis(r, v, "redis.connect_timeout");
  if (auto v = n["command_timeout"]) c.command_timeout = millis(r, v, "redis.command_timeout");
  if (auto v = n["key_prefix"]) c.key_prefix = r.string(v, "redis.key_prefix");
  if (auto v = n["reconnect_min"]) c.reconnect_min = millis(r, v, "redis.reconnect_min");
  if (auto v = n["reconnect_max"]) c.reconnect_max = millis(r, v, "redis.reconnect_max");
  if (c.reconnect_max < c.reconnect_min) r.fail(n, "redis.reconnect_max: must be at least reconnect_min");
  if (auto v = n["max_pending"]) c.max_pending = r.unsigned_int(v, "redis.max_pending", 1, 10'000'000);
  for (auto [d, name] : {std::pair{c.timeout, "timeout"}, {c.connect_timeout, "connect_timeout"},
                         {c.command_timeout, "command_timeout"}, {c.reconnect_min, "reconnect_min"}}) {
    if (d.count() <= 0) r.fail(n[name], std::string("redis.") + name + ": must be at least 1ms");
  }
  return c;
}

}  // namespace corral::config
