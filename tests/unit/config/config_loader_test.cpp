#include "config/config_loader.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace corral::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// The documented example configuration, verbatim: scripts outside the repository rely on it.
constexpr std::string_view kIssueExample = R"(listen: 127.0.0.1:11434
threads: 2                      # worker threads; default = cores
pools:
  - name: small
    policy: least_connections   # round_robin | least_connections | power_of_two | consistent_hash | model_aware
    backends:
      - url: http://127.0.0.1:21001
        max_inflight: 10        # per-backend concurrency cap (seed HAProxy maxconn 10)
        weight: 1
      - url: http://127.0.0.1:21002
  - name: big
    backends:
      - url: http://127.0.0.1:21003
models:                          # first match wins; glob patterns on the normalised model name
  - match: "llama3:70b*"
    pool: big
default_pool: small              # models that match nothing
queue: {max_length: 256, timeout: 30s}
health: {path: /api/tags, interval: 5s, timeout: 2s, fall: 3, rise: 2}
retries: 2
affinity: {header: X-Session-ID, ttl: 30m}    # optional session stickiness
)";

std::string error_of(std::string_view yaml) {
  try {
    (void)parse_config(yaml, "corral.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

constexpr std::string_view kMinimal = "pools:\n  - name: p\n    backends: [http://127.0.0.1:1]\n";

TEST(ConfigLoader, IssueExampleLoadsAsWritten) {
  const Config c = parse_config(kIssueExample, "corral.yaml");
  EXPECT_EQ(c.listen, "127.0.0.1:11434");
  EXPECT_EQ(c.threads, 2U);
  ASSERT_EQ(c.pools.size(), 2U);
  EXPECT_EQ(c.pools[0].name, "small");
  EXPECT_EQ(c.pools[0].policy, Policy::kLeastConnections);
  ASSERT_EQ(c.pools[0].backends.size(), 2U);
  EXPECT_EQ(c.pools[0].backends[0].host, "127.0.0.1");
  EXPECT_EQ(c.pools[0].backends[0].port, 21001);
  EXPECT_FALSE(c.pools[0].backends[0].tls);
  EXPECT_EQ(c.pools[0].backends[0].max_inflight, 10U);
  EXPECT_EQ(c.pools[0].backends[0].weight, 1U);
  EXPECT_EQ(c.pools[0].backends[0].name, "127.0.0.1:21001");
  EXPECT_EQ(c.pools[0].backends[1].max_inflight, 0U);
  EXPECT_EQ(c.pools[1].policy, Policy::kModelAware);
  ASSERT_EQ(c.models.size(), 1U);
  EXPECT_EQ(c.models[0].match, "llama3:70b*");
  EXPECT_EQ(c.models[0].pool, "big");
  EXPECT_EQ(c.default_pool, "small");
  EXPECT_EQ(c.queue.max_length, 256U);
  EXPECT_EQ(c.queue.timeout, seconds(30));
  EXPECT_EQ(c.health.path, "/api/tags");
  EXPECT_EQ(c.health.interval, seconds(5));
  EXPECT_EQ(c.health.timeout, seconds(2));
  EXPECT_EQ(c.health.fall, 3U);
  EXPECT_EQ(c.health.rise, 2U);
  EXPECT_EQ(c.retries, 2U);
  ASSERT_TRUE(c.affinity.has_value());
  EXPECT_EQ(c.affinity->header, "X-Session-ID");
  EXPECT_FALSE(c.affinity->client_ip);
  EXPECT_EQ(c.affinity->ttl, minutes(30));
  EXPECT_EQ(c.source, "corral.yaml");
}

TEST(ConfigLoader, DefaultsOfAMinimalFile) {
  const Config c = parse_config(kMinimal, "m.yaml");
  EXPECT_EQ(c.listen, "127.0.0.1:11434");
  EXPECT_EQ(c.threads, 0U);
  EXPECT_TRUE(c.admin.listen.empty());
  EXPECT_EQ(c.default_pool, "p");  // the only pool
  EXPECT_EQ(c.pools[0].policy, Policy::kModelAware);
  EXPECT_EQ(c.pools[0].hash_on.kind, HashOn::Kind::kModel);
  EXPECT_DOUBLE_EQ(c.pools[0].hash_balance_factor, 1.25);
  EXPECT_EQ(c.pools[0].backends[0].num_parallel, 1U);
  EXPECT_FALSE(c.pools[0].backends[0].vram.has_value());
  EXPECT_FALSE(c.affinity.has_value());
  EXPECT_EQ(c.limits.max_body, 64ULL << 20);
  EXPECT_EQ(c.limits.max_header, 16ULL << 10);
  EXPECT_EQ(c.limits.max_headers, 100U);
  EXPECT_EQ(c.limits.max_uri, 8ULL << 10);
  EXPECT_EQ(c.timeouts.connect, seconds(5));
  EXPECT_EQ(c.timeouts.first_byte, seconds(300));
  EXPECT_EQ(c.timeouts.stream_idle, seconds(300));
  EXPECT_EQ(c.timeouts.pull, minutes(60));
  EXPECT_EQ(c.timeouts.client_header, seconds(10));
  EXPECT_EQ(c.timeouts.client_body, seconds(60));
  EXPECT_EQ(c.timeouts.keepalive_idle, seconds(60));
  EXPECT_EQ(c.timeouts.drain, seconds(30));
  EXPECT_EQ(c.outlier.consecutive_failures, 5U);
  EXPECT_EQ(c.outlier.base_ejection, seconds(30));
  EXPECT_EQ(c.outlier.max_ejection, seconds(300));
  EXPECT_EQ(c.outlier.max_ejection_percent, 50U);
  EXPECT_EQ(c.models_poll_interval, seconds(2));
  EXPECT_DOUBLE_EQ(c.retry_budget.ratio, 0.2);
  EXPECT_EQ(c.retry_budget.min_per_second, 3U);
  EXPECT_TRUE(c.health.start_healthy);
}

TEST(ConfigLoader, ExampleFileInTheRepositoryLoads) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../../../config/example.yaml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const Config c = load_config(path.string());
  EXPECT_GE(c.pools.size(), 2U);
  EXPECT_FALSE(c.models.empty());
  EXPECT_FALSE(c.default_pool.empty());
}

TEST(ConfigLoader, FullFileWithEveryKey) {
  const Config c = parse_config(R"(
listen: "[::1]:0"
threads: 4
admin: {listen: 127.0.0.1:9000}
pools:
  - name: gpu.a
    policy: consistent_hash
    hash_on: header:X-User
    hash_balance_factor: 1.5
    backends:
      - {url: "https://gpu1.local:8443/ollama/", name: gpu1, max_inflight: 4, weight: 3, vram: 24GiB, num_parallel: 4}
      - url: http://[fe80::1]:11434
models:
  - {match: "qwen*", pool: gpu.a, min_replicas: 1, max_replicas: 2, pinned: true, prewarm: true, keep_alive: -1s}
  - {match: "*", pool: gpu.a, keep_alive: 10m}
queue: {max_length: 0, timeout: 1500ms}
health: {path: /, interval: 1s, timeout: 500ms, fall: 1, rise: 1, start_healthy: false}
retries: 0
retry_budget: {ratio: 0.5, min_per_second: 10, window: 30s}
affinity: {client_ip: true}
limits: {max_body: 1MB, max_header: 8KiB, max_headers: 50, max_uri: 2048}
timeouts: {connect: 1s, first_byte: 10m, stream_idle: 2m, pull: 6h, client_header: 5s, client_body: 30s, keepalive_idle: 1m, drain: 0s}
outlier: {consecutive_failures: 0, base_ejection: 10s, max_ejection: 10s, max_ejection_percent: 100}
models_poll_interval: 500ms
)",
                                "full.yaml");
  EXPECT_EQ(c.listen, "[::1]:0");
  EXPECT_EQ(c.admin.listen, "127.0.0.1:9000");
  const PoolConfig& p = c.pools.at(0);
  EXPECT_EQ(p.policy, Policy::kConsistentHash);
  EXPECT_EQ(p.hash_on.kind, HashOn::Kind::kHeader);
  EXPECT_EQ(p.hash_on.header, "X-User");
  EXPECT_DOUBLE_EQ(p.hash_balance_factor, 1.5);
  const BackendConfig& b = p.backends.at(0);
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.host, "gpu1.local");
  EXPECT_EQ(b.port, 8443);
  EXPECT_EQ(b.path_prefix, "/ollama");
  EXPECT_EQ(b.name, "gpu1");
  EXPECT_EQ(b.weight, 3U);
  EXPECT_EQ(b.vram, 24ULL << 30);
  EXPECT_EQ(b.num_parallel, 4U);
  EXPECT_EQ(p.backends.at(1).host, "fe80::1");
  EXPECT_EQ(p.backends.at(1).name, "[fe80::1]:11434");
  EXPECT_EQ(c.models.at(0).min_replicas, 1U);
  EXPECT_EQ(c.models.at(0).max_replicas, 2U);
  EXPECT_TRUE(c.models.at(0).pinned);
  EXPECT_TRUE(c.models.at(0).prewarm);
  EXPECT_LT(c.models.at(0).keep_alive->count(), 0);
  EXPECT_EQ(c.models.at(1).keep_alive, minutes(10));
  EXPECT_EQ(c.default_pool, "gpu.a");  // from the "*" rule
  EXPECT_EQ(c.queue.max_length, 0U);
  EXPECT_EQ(c.queue.timeout, std::chrono::milliseconds(1500));
  EXPECT_FALSE(c.health.start_healthy);
  EXPECT_EQ(c.retries, 0U);
  EXPECT_TRUE(c.affinity->client_ip);
  EXPECT_EQ(c.limits.max_body, 1'000'000U);
  EXPECT_EQ(c.limits.max_uri, 2048U);
  EXPECT_EQ(c.timeouts.drain, seconds(0));
  EXPECT_EQ(c.timeouts.pull, std::chrono::hours(6));
  EXPECT_EQ(c.outlier.consecutive_failures, 0U);
  EXPECT_EQ(c.models_poll_interval, std::chrono::milliseconds(500));
}

TEST(ConfigLoader, UnknownKeyNamesFileLineColumnAndKey) {
  EXPECT_EQ(error_of("listen: 127.0.0.1:1\nretriez: 2\n"), "corral.yaml:2:1: unknown key 'retriez' in the top level");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    backend: []\n"), "corral.yaml:3:5: unknown key 'backend' in pools[0]");
  EXPECT_EQ(error_of(std::string(kMinimal) + "queue: {max_len: 3}\n"),
            "corral.yaml:4:9: unknown key 'max_len' in queue");
}

TEST(ConfigLoader, WrongTypesAndImpossibleValues) {
  const std::string base(kMinimal);
  EXPECT_EQ(error_of(base + "threads: many\n"), "corral.yaml:4:10: threads: must be an integer, got 'many'");
  EXPECT_EQ(error_of(base + "threads: \"2\"\n"), "corral.yaml:4:10: threads: must be an integer, got '2'");
  EXPECT_EQ(error_of(base + "threads: -1\n"), "corral.yaml:4:10: threads: must not be negative, got '-1'");
  EXPECT_EQ(error_of(base + "retries: [1]\n"), "corral.yaml:4:10: retries: must be an integer, got a list");
  EXPECT_NE(error_of(base + "queue: {timeout: 30}\n").find("corral.yaml:4:18: queue.timeout: must be a duration with a unit"),
            std::string::npos);
  EXPECT_EQ(error_of(base + "queue: {timeout: 0s}\n"), "corral.yaml:4:18: queue.timeout: must be greater than 0");
  EXPECT_NE(error_of(base + "limits: {max_body: 64MB2}\n").find("corral.yaml:4:20: limits.max_body: must be a size"),
            std::string::npos);
  EXPECT_EQ(error_of(base + "health: {fall: 0}\n"), "corral.yaml:4:16: health.fall: must be between 1 and 1000, got 0");
  EXPECT_EQ(error_of(base + "health: {path: api/tags}\n"),
            "corral.yaml:4:16: health.path: must start with '/' and contain no whitespace; got 'api/tags'");
  EXPECT_EQ(error_of(base + "health: {start_healthy: yes}\n"),
            "corral.yaml:4:25: health.start_healthy: must be true or false, got 'yes'");
  EXPECT_EQ(error_of(base + "listen: localhost\n"),
            "corral.yaml:4:9: listen: must be HOST:PORT, e.g. 127.0.0.1:11434; got 'localhost'");
  EXPECT_EQ(error_of(base + "outlier: {max_ejection_percent: 101}\n"),
            "corral.yaml:4:33: outlier.max_ejection_percent: must be between 0 and 100, got 101");
  EXPECT_EQ(error_of(base + "outlier: {base_ejection: 1m, max_ejection: 30s}\n"),
            "corral.yaml:4:44: outlier.max_ejection: must be at least base_ejection");
  EXPECT_EQ(error_of(base + "retry_budget: {ratio: 1.5}\n"),
            "corral.yaml:4:23: retry_budget.ratio: must be between 0.000000 and 1.000000, got 1.5");
  EXPECT_EQ(error_of(base + "affinity: {ttl: 5m}\n"), "corral.yaml:4:11: affinity: needs a header, client_ip: true, or both");
  EXPECT_EQ(error_of(base + "admin: {listen: \"127.0.0.1:11434\"}\n"), "corral.yaml:4:17: admin.listen: must differ from listen");
}

// timeouts.pull replaces first_byte for pulls (a stream:false pull answers only at its end): its own
// default, longer than first_byte, and the same checks as the other timeouts.
TEST(ConfigLoader, PullTimeoutHasItsOwnKey) {
  const std::string base(kMinimal);
  EXPECT_EQ(parse_config(base, "corral.yaml").timeouts.pull, std::chrono::hours(1));
  const Config c = parse_config(base + "timeouts: {first_byte: 30s, pull: 2h30m}\n", "corral.yaml");
  EXPECT_EQ(c.timeouts.pull, minutes(150));
  EXPECT_EQ(c.timeouts.first_byte, seconds(30));
  EXPECT_EQ(error_of(base + "timeouts: {pull: 0s}\n"), "corral.yaml:4:18: timeouts.pull: must be greater than 0");
  EXPECT_NE(error_of(base + "timeouts: {pull: 3600}\n").find("corral.yaml:4:18: timeouts.pull: must be a duration with a unit"),
            std::string::npos);
  EXPECT_NE(error_of(base + "timeouts: {pull: soon}\n").find("corral.yaml:4:18: timeouts.pull: must be a duration"),
            std::string::npos);
}

TEST(ConfigLoader, PoolsAndBackendsAreChecked) {
  EXPECT_EQ(error_of("threads: 1\n"), "corral.yaml:1:1: missing key 'pools' in the top level (at least one pool is required)");
  EXPECT_EQ(error_of("pools: []\n"), "corral.yaml:1:8: pools: at least one pool is required");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    policy: fastest\n    backends: [http://a:1]\n"),
            "corral.yaml:3:13: pools[0].policy: unknown policy 'fastest' (expected round_robin | least_connections | "
            "power_of_two | consistent_hash | model_aware)");
  EXPECT_EQ(error_of("pools:\n  - {name: p, backends: [http://a:1]}\n  - {name: p, backends: [http://b:1]}\n"),
            "corral.yaml:3:12: pools[1].name: duplicate pool name 'p'");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    backends:\n      - url: http://a:1\n      - url: http://a:1/\n"),
            "corral.yaml:5:9: pools[0].backends[1]: duplicate backend http://a:1/ in pool 'p'");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    backends:\n      - url: ftp://a:1\n"),
            "corral.yaml:4:14: pools[0].backends[0].url: 'ftp://a:1' must start with http:// or https://");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    backends:\n      - url: http://a:99999\n"),
            "corral.yaml:4:14: pools[0].backends[0].url: 'http://a:99999' has no valid host[:port]");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    backends:\n      - {url: http://a:1, weight: 0}\n"),
            "corral.yaml:4:35: pools[0].backends[0].weight: must be between 1 and 10000, got 0");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    backends: [{name: x}]\n"), "corral.yaml:3:16: missing key 'url' in pools[0].backends[0]");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    hash_on: client_ip\n    backends: [http://a:1]\n"),
            "corral.yaml:3:14: pools[0].hash_on: applies only to policy consistent_hash");
  EXPECT_EQ(error_of("pools:\n  - name: p\n    policy: consistent_hash\n    hash_on: cookie\n    backends: [http://a:1]\n"),
            "corral.yaml:4:14: pools[0].hash_on: expected model, client_ip or header:NAME; got 'cookie'");
}

TEST(ConfigLoader, RoutesAndDefaultPool) {
  const std::string two_pools = "pools:\n  - {name: a, backends: [http://a:1]}\n  - {name: b, backends: [http://b:1]}\n";
  EXPECT_EQ(error_of(two_pools),
            "corral.yaml:1:1: missing key 'default_pool' in the top level: with several pools and no models rule "
            "matching \"*\", Corral must know where other models go");
  EXPECT_EQ(error_of(two_pools + "default_pool: c\n"), "corral.yaml:4:15: default_pool: no pool named 'c' is defined");
  EXPECT_EQ(error_of(two_pools + "default_pool: a\nmodels:\n  - {match: x, pool: nope}\n"),
            "corral.yaml:6:22: models[0].pool: no pool named 'nope' is defined");
  EXPECT_EQ(error_of(two_pools + "models:\n  - {match: \"*\", pool: b}\n  - {match: x, pool: a}\n"),
            "corral.yaml:6:13: models[1].match: never applies, models[0] ('*') matches first");
  EXPECT_EQ(error_of(two_pools + "default_pool: a\nmodels:\n  - {match: m, pool: b, min_replicas: 3, max_replicas: 2}\n"),
            "corral.yaml:6:39: models[0].min_replicas: must not exceed max_replicas");
  const Config c = parse_config(two_pools + "models:\n  - {match: \"*\", pool: b}\n", "x");
  EXPECT_EQ(c.default_pool, "b");
}

TEST(ConfigLoader, DuplicateKeysAndSyntaxErrors) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "retries: 1\nretries: 2\n"), "corral.yaml:5:1: duplicate key 'retries' in the top level");
  const std::string syntax = error_of("pools: [\n");
  EXPECT_EQ(syntax.rfind("corral.yaml:", 0), 0U) << syntax;
  EXPECT_NE(syntax.find("YAML syntax error"), std::string::npos) << syntax;
  EXPECT_EQ(error_of(""), "corral.yaml:1:1: the configuration is empty");
  EXPECT_EQ(error_of("- a\n"), "corral.yaml:1:1: the top level must be a mapping, got a list");
}

TEST(ConfigLoader, LoadConfigReportsUnreadableFile) {
  try {
    (void)load_config("/nonexistent/corral.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/corral.yaml:1:1: cannot read the configuration file");
  }
}

TEST(ConfigLoader, QuickConfig) {
  const Config c = quick_config("127.0.0.1:0", {"http://127.0.0.1:1", "http://127.0.0.1:2/"}, 3);
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.threads, 3U);
  ASSERT_EQ(c.pools.size(), 1U);
  EXPECT_EQ(c.pools[0].name, "default");
  EXPECT_EQ(c.pools[0].policy, Policy::kModelAware);
  EXPECT_EQ(c.default_pool, "default");
  ASSERT_EQ(c.pools[0].backends.size(), 2U);
  EXPECT_EQ(c.pools[0].backends[1].port, 2);
  EXPECT_EQ(c.pools[0].backends[1].name, "127.0.0.1:2");
  EXPECT_THROW((void)quick_config("127.0.0.1:0", {}, 0), ConfigError);
  EXPECT_THROW((void)quick_config("nope", {"http://a:1"}, 0), ConfigError);
  EXPECT_THROW((void)quick_config("127.0.0.1:0", {"a:1"}, 0), ConfigError);
  EXPECT_THROW((void)quick_config("127.0.0.1:0", {"http://a:1", "http://a:1/"}, 0), ConfigError);
}

}  // namespace
}  // namespace corral::config
