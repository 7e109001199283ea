// The security sections of corral.yaml through the real loader: a full example parses into the auth,
// rate-limit, proxy, Redis and TLS structs; each malformed value is refused with its key path; and the
// auth default follows the listener address.
#include <gtest/gtest.h>

#include "config/auth_config.hpp"
#include "config/config_error.hpp"
#include "config/config_loader.hpp"

namespace corral::auth {
namespace {

const std::string kPools = "pools:\n  - name: p\n    backends: [http://127.0.0.1:1]\n";
const std::string kDigest = "efeffff8fdf6eb1edc3d83f8a34fbe5271247663c351750143991007c37d8972";

TEST(SecurityConfig, FullExampleParses) {
  const auto c = config::parse_config(kPools +
                                          "auth:\n  keys:\n    - name: a\n      sha256: " + kDigest +
                                          "\n      role: admin\n      allowed_models: [llama3]\n"
                                          "      limits: {requests: 5, interval: 10s, tokens_per_minute: 100}\n"
                                          "rate_limits:\n  per_ip: {requests: 100, interval: 10s}\n"
                                          "trusted_proxies: [10.0.0.0/8, \"fd00::/8\"]\n"
                                          "redis:\n  url: redis://:pw@127.0.0.1:6380/2\n  fail_mode: closed\n  timeout: 15ms\n"
                                          "limits:\n  max_connections_per_ip: 8\n",
                                      "t.yaml");
  ASSERT_EQ(c.auth.keys.size(), 1u);
  EXPECT_EQ(c.auth.keys[0].role, config::Role::kAdmin);
  EXPECT_EQ(c.auth.keys[0].limits.requests.requests, 5u);
  EXPECT_EQ(c.auth.keys[0].limits.requests.interval, std::chrono::seconds(10));
  EXPECT_EQ(c.auth.keys[0].limits.tokens_per_minute, 100u);
  EXPECT_EQ(c.rate_limits.per_ip.requests, 100u);
  EXPECT_EQ(c.trusted_proxies.cidrs.size(), 2u);
  ASSERT_TRUE(c.redis);
  EXPECT_EQ(c.redis->fail_mode, config::FailMode::kClosed);
  EXPECT_EQ(c.redis->timeout, std::chrono::milliseconds(15));
  EXPECT_EQ(c.limits.max_connections_per_ip, 8u);
  EXPECT_FALSE(c.tls.enabled());
}

TEST(SecurityConfig, RefusesMalformedValuesWithTheirPath) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"auth:\n  keys:\n    - name: a\n      sha256: abc\n", "auth.keys[0].sha256"},
      {"auth:\n  keys:\n    - name: a\n      sha256: " + kDigest + "\n      role: root\n", "auth.keys[0].role"},
      {"auth:\n  keys:\n    - {name: a, sha256: " + kDigest + "}\n    - {name: a, sha256: " + kDigest + "}\n",
       "duplicate key name"},
      {"auth:\n  enabled: true\n", "no keys"},
      {"auth:\n  keys:\n    - {sha256: " + kDigest + "}\n", "missing key 'name'"},
      {"rate_limits:\n  per_ip: {requests: 5, interval: 0s}\n", "rate_limits.per_ip.interval"},
      {"trusted_proxies: [10.0.0.1/8]\n", "trusted_proxies[0]"},
      {"redis:\n  url: http://x\n", "redis.url"},
      {"redis:\n  url: redis://x\n  fail_mode: maybe\n", "redis.fail_mode"},
      {"tls:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n", "tls.cert_file"},
      {"tls:\n  cert_file: /etc/hostname\n", "needs both"},
      {"auth:\n  keys: []\n  secret: 1\n", "unknown key 'secret'"},
  };
  for (const auto& [yaml, expected] : bad) {
    try {
      (void)config::parse_config(kPools + yaml, "t.yaml");
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const config::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

TEST(SecurityConfig, AuthDefaultFollowsTheListener) {
  config::AuthConfig none;
  EXPECT_FALSE(config::auth_enabled(none, "127.0.0.1"));
  EXPECT_FALSE(config::auth_enabled(none, "::1"));
  EXPECT_FALSE(config::auth_enabled(none, "localhost"));
  EXPECT_TRUE(config::auth_enabled(none, "0.0.0.0"));
  EXPECT_TRUE(config::auth_enabled(none, ""));
  EXPECT_TRUE(config::auth_enabled(none, "10.1.2.3"));
  config::AuthConfig keys;
  keys.keys.push_back({});
  EXPECT_TRUE(config::auth_enabled(keys, "127.0.0.1"));
  config::AuthConfig off;
  off.enabled = false;
  EXPECT_FALSE(config::auth_enabled(off, "0.0.0.0"));
}

}  // namespace
}  // namespace corral::auth
