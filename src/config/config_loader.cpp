// The schema of corral.yaml: which keys exist where, their types and ranges, and the checks across
// keys (pool references, duplicates, a default pool). Generic typed access and error positions are in
// yaml_reader; defaults are in config.hpp.
#include "config/config_loader.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "config/endpoint_address.hpp"
#include "config/security_loader.hpp"
#include "config/yaml_reader.hpp"
#include "common/ascii.hpp"

namespace corral::config {
namespace {

constexpr std::uint64_t kMaxCount = 1'000'000;

bool is_token(std::string_view text) {  // RFC 9110 token, for header names
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool is_pool_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

std::string index_path(std::string_view base, std::size_t i) { return std::string(base) + "[" + std::to_string(i) + "]"; }

class Loader {
 public:
  explicit Loader(std::string file) : r_(std::move(file)) {}

  Config load(const YAML::Node& root) {
    Config c;
    if (!root.IsDefined() || root.IsNull()) r_.fail(YAML::Mark::null_mark(), "the configuration is empty");
    r_.check_map(root, {"listen", "threads", "admin", "pools", "models", "default_pool", "queue", "health",
                        "retries", "retry_budget", "affinity", "limits", "timeouts", "outlier",
                        "models_poll_interval", "access_log", "tls", "auth", "rate_limits", "trusted_proxies", "redis", "placement"},
                 "the top level");
    if (auto n = root["listen"]) c.listen = listen_address(n, "listen");
    if (auto n = root["threads"]) c.threads = static_cast<std::uint32_t>(r_.unsigned_int(n, "threads", 0, 1024));
    if (auto n = root["admin"]) admin(n, c);
    if (auto n = root["access_log"]) c.access_log = config::load_access_log(r_, n);
    auto pools_node = root["pools"];
    if (!pools_node) r_.fail(root, "missing key 'pools' in the top level (at least one pool is required)");
    pools(pools_node, c);
    if (auto n = root["models"]) models(n, c);
    if (auto n = root["queue"]) queue(n, c.queue);
    if (auto n = root["health"]) health(n, c.health);
    if (auto n = root["retries"]) c.retries = static_cast<std::uint32_t>(r_.unsigned_int(n, "retries", 0, 100));
    if (auto n = root["retry_budget"]) retry_budget(n, c.retry_budget);
    if (auto n = root["affinity"]) c.affinity = affinity(n);
    if (auto n = root["limits"]) limits(n, c.limits);
    if (auto n = root["timeouts"]) timeouts(n, c.timeouts);
    if (auto n = root["outlier"]) outlier(n, c.outlier);
    if (auto n = root["models_poll_interval"]) c.models_poll_interval = r_.duration(n, "models_poll_interval", false);
    if (auto n = root["placement"]) placement(n, c.placement);
    if (auto n = root["tls"]) c.tls = load_tls(r_, n, "tls");
    if (auto n = root["auth"]) c.auth = load_auth(r_, n);
    if (auto n = root["rate_limits"]) c.rate_limits = load_rate_limits(r_, n);
    if (auto n = root["trusted_proxies"]) c.trusted_proxies = load_trusted_proxies(r_, n);
    if (auto n = root["redis"]) c.redis = load_redis(r_, n);
    default_pool(root, c);
    if (!c.admin.listen.empty() && c.admin.listen == c.listen) {
      r_.fail(root["admin"]["listen"], "admin.listen: must differ from listen");
    }
    return c;
  }

 private:
  std::string listen_address(const YAML::Node& n, std::string_view path) {
    std::string text = r_.string(n, path);
    if (!parse_host_port(text)) r_.fail(n, std::string(path) + ": must be HOST:PORT, e.g. 127.0.0.1:11434; got '" + text + "'");
    return text;
  }

  void admin(const YAML::Node& n, Config& c) {
    r_.check_map(n, {"listen", "tls"}, "admin");
    if (auto t = n["tls"]) c.admin.tls = load_tls(r_, t, "admin.tls");
    if (auto l = n["listen"]) {
      const std::string text = r_.string(l, "admin.listen");
      if (!text.empty()) c.admin.listen = listen_address(l, "admin.listen");
    }
  }

  void pools(const YAML::Node& n, Config& c) {
    r_.check_sequence(n, "pools");
    if (n.size() == 0) r_.fail(n, "pools: at least one pool is required");
    std::set<std::string, std::less<>> names;
    for (std::size_t i = 0; i < n.size(); ++i) {
      PoolConfig pool = this->pool(n[i], index_path("pools", i));
      if (!names.insert(pool.name).second) r_.fail(n[i]["name"], index_path("pools", i) + ".name: duplicate pool name '" + pool.name + "'");
      c.pools.push_back(std::move(pool));
    }
  }

  PoolConfig pool(const YAML::Node& n, const std::string& path) {
    r_.check_map(n, {"name", "policy", "hash_on", "hash_balance_factor", "backends"}, path);
    PoolConfig p;
    auto name = n["name"];
    if (!name) r_.fail(n, "missing key 'name' in " + path);
    p.name = r_.string(name, path + ".name");
    if (!is_pool_name(p.name)) r_.fail(name, path + ".name: use letters, digits, '_', '-' or '.'; got '" + p.name + "'");
    if (auto pol = n["policy"]) {
      const std::string text = r_.string(pol, path + ".policy");
      const auto parsed = policy_from_string(text);
      if (!parsed) {
        r_.fail(pol, path + ".policy: unknown policy '" + text +
                         "' (expected round_robin | least_connections | power_of_two | consistent_hash | model_aware)");
      }
      p.policy = *parsed;
    }
    if (auto h = n["hash_on"]) {
      if (p.policy != Policy::kConsistentHash) r_.fail(h, path + ".hash_on: applies only to policy consistent_hash");
      p.hash_on = hash_on(h, path + ".hash_on");
    }
    if (auto f = n["hash_balance_factor"]) {
      if (p.policy != Policy::kConsistentHash) {
        r_.fail(f, path + ".hash_balance_factor: applies only to policy consistent_hash");
      }
      p.hash_balance_factor = r_.number(f, path + ".hash_balance_factor", 1.0, 100.0);
    }
    auto backends = n["backends"];
    if (!backends) r_.fail(n, "missing key 'backends' in " + path);
    r_.check_sequence(backends, path + ".backends");
    if (backends.size() == 0) r_.fail(backends, path + ".backends: at least one backend is required");
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const std::string bpath = index_path(path + ".backends", i);
      BackendConfig b = backend(backends[i], bpath);
      for (const BackendConfig& other : p.backends) {
        if (other.host == b.host && other.port == b.port && other.tls == b.tls && other.path_prefix == b.path_prefix) {
          r_.fail(backends[i], bpath + ": duplicate backend " + b.url + " in pool '" + p.name + "'");
        }
        if (other.name == b.name) r_.fail(backends[i], bpath + ": duplicate backend name '" + b.name + "'");
      }
      p.backends.push_back(std::move(b));
    }
    return p;
  }

  HashOn hash_on(const YAML::Node& n, const std::string& path) {
    const std::string text = r_.string(n, path);
    if (text == "model") return {};
    if (text == "client_ip") return {HashOn::Kind::kClientIp, {}};
    if (text.starts_with("header:") && is_token(std::string_view(text).substr(7))) {
      return {HashOn::Kind::kHeader, text.substr(7)};
    }
    r_.fail(n, path + ": expected model, client_ip or header:NAME; got '" + text + "'");
  }

  BackendConfig backend(const YAML::Node& n, const std::string& path) {
    BackendConfig b;
    if (n.IsScalar()) {  // shorthand: `- http://host:port`
      b.url = r_.string(n, path);
    } else {
      r_.check_map(n, {"url", "name", "max_inflight", "weight", "vram", "num_parallel", "agent", "tls_ca", "tls_verify"},
                   path);
      auto url = n["url"];
      if (!url) r_.fail(n, "missing key 'url' in " + path);
      b.url = r_.string(url, path + ".url");
    }
    const YAML::Node url_node = n.IsScalar() ? n : n["url"];
    if (const auto error = parse_backend_url(b.url, b)) r_.fail(url_node, path + ".url: '" + b.url + "' " + *error);
    b.name = default_backend_name(b);
    if (n.IsScalar()) return b;
    if (auto v = n["name"]) {
      b.name = r_.string(v, path + ".name");
      if (b.name.empty()) r_.fail(v, path + ".name: must not be empty");
    }
    if (auto v = n["max_inflight"]) b.max_inflight = static_cast<std::uint32_t>(r_.unsigned_int(v, path + ".max_inflight", 0, kMaxCount));
    if (auto v = n["weight"]) b.weight = static_cast<std::uint32_t>(r_.unsigned_int(v, path + ".weight", 1, 10'000));
    if (auto v = n["vram"]) b.vram = r_.size(v, path + ".vram", 1);
    if (auto v = n["num_parallel"]) b.num_parallel = static_cast<std::uint32_t>(r_.unsigned_int(v, path + ".num_parallel", 1, 1024));
    if (auto v = n["agent"]) agent(v, path + ".agent", b);
    load_backend_tls(r_, n, path, b);
    return b;
  }

  // The agent's URL, checked like `url` but plain HTTP only: `corral agent` has no TLS listener.
  void agent(const YAML::Node& n, const std::string& path, BackendConfig& b) {
    BackendConfig parsed;
    const std::string text = r_.string(n, path);
    if (const auto error = parse_backend_url(text, parsed)) r_.fail(n, path + ": '" + text + "' " + *error);
    if (parsed.tls) r_.fail(n, path + ": '" + text + "' must be http:// (corral agent serves plain HTTP)");
    b.agent = text;
    b.agent_host = std::move(parsed.host);
    b.agent_port = parsed.port;
    b.agent_path_prefix = std::move(parsed.path_prefix);
  }

  void models(const YAML::Node& n, Config& c) {
    r_.check_sequence(n, "models");
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string path = index_path("models", i);
      const YAML::Node item = n[i];
      r_.check_map(item, {"match", "pool", "min_replicas", "max_replicas", "pinned", "prewarm", "keep_alive",
                           "auto_pull"}, path);
      ModelRoute m;
      auto match = item["match"];
      if (!match) r_.fail(item, "missing key 'match' in " + path);
      m.match = r_.string(match, path + ".match");
      if (m.match.empty()) r_.fail(match, path + ".match: must not be empty (use \"*\" for every model)");
      for (std::size_t j = 0; j < c.models.size(); ++j) {
        if (c.models[j].match == "*" || common::ascii_lower(c.models[j].match) == common::ascii_lower(m.match)) {
          r_.fail(match, path + ".match: never applies, models[" + std::to_string(j) + "] ('" + c.models[j].match +
                             "') matches first");
        }
      }
      auto pool = item["pool"];
      if (!pool) r_.fail(item, "missing key 'pool' in " + path);
      m.pool = r_.string(pool, path + ".pool");
      if (!c.pool_index(m.pool)) r_.fail(pool, path + ".pool: no pool named '" + m.pool + "' is defined");
      if (auto v = item["min_replicas"]) m.min_replicas = static_cast<std::uint32_t>(r_.unsigned_int(v, path + ".min_replicas", 0, 1024));
      if (auto v = item["max_replicas"]) m.max_replicas = static_cast<std::uint32_t>(r_.unsigned_int(v, path + ".max_replicas", 1, 1024));
      if (m.min_replicas && m.max_replicas && *m.min_replicas > *m.max_replicas) {
        r_.fail(item["min_replicas"], path + ".min_replicas: must not exceed max_replicas");
      }
      if (auto v = item["pinned"]) m.pinned = r_.boolean(v, path + ".pinned");
      if (auto v = item["prewarm"]) m.prewarm = r_.boolean(v, path + ".prewarm");
      if (auto v = item["keep_alive"]) m.keep_alive = r_.duration(v, path + ".keep_alive", true, true);
      if (auto v = item["auto_pull"]) m.auto_pull = r_.boolean(v, path + ".auto_pull");
      c.models.push_back(std::move(m));
    }
  }

  void default_pool(const YAML::Node& root, Config& c) {
    if (auto n = root["default_pool"]) {
      c.default_pool = r_.string(n, "default_pool");
      if (!c.pool_index(c.default_pool)) r_.fail(n, "default_pool: no pool named '" + c.default_pool + "' is defined");
      return;
    }
    for (const ModelRoute& m : c.models) {
      if (m.match == "*") {
        c.default_pool = m.pool;
        return;
      }
    }
    if (c.pools.size() == 1) {
      c.default_pool = c.pools.front().name;
      return;
    }
    r_.fail(root, "missing key 'default_pool' in the top level: with several pools and no models rule matching "
                  "\"*\", Corral must know where other models go");
  }

  void placement(const YAML::Node& n, PlacementConfig& p) {
    r_.check_map(n, {"load_rate", "replicate_queue_depth", "min_residency", "max_pass_over"}, "placement");
    if (auto v = n["load_rate"]) p.load_rate = r_.size(v, "placement.load_rate", 1024 * 1024);
    if (auto v = n["replicate_queue_depth"]) p.replicate_queue_depth = static_cast<std::uint32_t>(r_.unsigned_int(v, "placement.replicate_queue_depth", 0, kMaxCount));
    if (auto v = n["min_residency"]) p.min_residency = r_.duration(v, "placement.min_residency", true);
    if (auto v = n["max_pass_over"]) p.max_pass_over = r_.duration(v, "placement.max_pass_over", false);
  }

  void queue(const YAML::Node& n, QueueConfig& q) {
    r_.check_map(n, {"max_length", "timeout"}, "queue");
    if (auto v = n["max_length"]) q.max_length = static_cast<std::uint32_t>(r_.unsigned_int(v, "queue.max_length", 0, kMaxCount));
    if (auto v = n["timeout"]) q.timeout = r_.duration(v, "queue.timeout", false);
  }

  void health(const YAML::Node& n, HealthConfig& h) {
    r_.check_map(n, {"path", "interval", "timeout", "fall", "rise", "start_healthy"}, "health");
    if (auto v = n["path"]) {
      h.path = r_.string(v, "health.path");
      if (h.path.empty() || h.path.front() != '/' || h.path.find_first_of(" \t\r\n") != std::string::npos) {
        r_.fail(v, "health.path: must start with '/' and contain no whitespace; got '" + h.path + "'");
      }
    }
    if (auto v = n["interval"]) h.interval = r_.duration(v, "health.interval", false);
    if (auto v = n["timeout"]) h.timeout = r_.duration(v, "health.timeout", false);
    if (auto v = n["fall"]) h.fall = static_cast<std::uint32_t>(r_.unsigned_int(v, "health.fall", 1, 1000));
    if (auto v = n["rise"]) h.rise = static_cast<std::uint32_t>(r_.unsigned_int(v, "health.rise", 1, 1000));
    if (auto v = n["start_healthy"]) h.start_healthy = r_.boolean(v, "health.start_healthy");
  }

  void retry_budget(const YAML::Node& n, RetryBudgetConfig& b) {
    r_.check_map(n, {"ratio", "min_per_second", "window"}, "retry_budget");
    if (auto v = n["ratio"]) b.ratio = r_.number(v, "retry_budget.ratio", 0.0, 1.0);
    if (auto v = n["min_per_second"]) b.min_per_second = static_cast<std::uint32_t>(r_.unsigned_int(v, "retry_budget.min_per_second", 0, kMaxCount));
    if (auto v = n["window"]) b.window = r_.duration(v, "retry_budget.window", false);
  }

  AffinityConfig affinity(const YAML::Node& n) {
    r_.check_map(n, {"header", "client_ip", "ttl"}, "affinity");
    AffinityConfig a;
    if (auto v = n["header"]) {
      a.header = r_.string(v, "affinity.header");
      if (!is_token(a.header)) r_.fail(v, "affinity.header: '" + a.header + "' is not a valid header name");
    }
    if (auto v = n["client_ip"]) a.client_ip = r_.boolean(v, "affinity.client_ip");
    if (auto v = n["ttl"]) a.ttl = r_.duration(v, "affinity.ttl", false);
    if (a.header.empty() && !a.client_ip) r_.fail(n, "affinity: needs a header, client_ip: true, or both");
    return a;
  }

  void limits(const YAML::Node& n, LimitsConfig& l) {
    r_.check_map(n, {"max_body", "max_header", "max_headers", "max_uri", "max_connections", "max_connections_per_ip"}, "limits");
    if (auto v = n["max_connections"]) l.max_connections = static_cast<std::uint32_t>(r_.unsigned_int(v, "limits.max_connections", 0, kMaxCount));
    if (auto v = n["max_connections_per_ip"]) l.max_connections_per_ip = static_cast<std::uint32_t>(r_.unsigned_int(v, "limits.max_connections_per_ip", 0, kMaxCount));
    if (auto v = n["max_body"]) l.max_body = r_.size(v, "limits.max_body", 1);
    if (auto v = n["max_header"]) l.max_header = r_.size(v, "limits.max_header", 1024);
    if (auto v = n["max_headers"]) l.max_headers = static_cast<std::uint32_t>(r_.unsigned_int(v, "limits.max_headers", 1, 10'000));
    if (auto v = n["max_uri"]) l.max_uri = r_.size(v, "limits.max_uri", 64);
  }

  void timeouts(const YAML::Node& n, TimeoutsConfig& t) {
    r_.check_map(n, {"connect", "first_byte", "stream_idle", "pull", "client_header", "client_body", "keepalive_idle",
                     "upstream_idle", "drain"},
                 "timeouts");
    if (auto v = n["connect"]) t.connect = r_.duration(v, "timeouts.connect", false);
    if (auto v = n["first_byte"]) t.first_byte = r_.duration(v, "timeouts.first_byte", false);
    if (auto v = n["stream_idle"]) t.stream_idle = r_.duration(v, "timeouts.stream_idle", false);
    if (auto v = n["pull"]) t.pull = r_.duration(v, "timeouts.pull", false);
    if (auto v = n["client_header"]) t.client_header = r_.duration(v, "timeouts.client_header", false);
    if (auto v = n["client_body"]) t.client_body = r_.duration(v, "timeouts.client_body", false);
    if (auto v = n["keepalive_idle"]) t.keepalive_idle = r_.duration(v, "timeouts.keepalive_idle", false);
    if (auto v = n["upstream_idle"]) t.upstream_idle = r_.duration(v, "timeouts.upstream_idle", false);
    if (auto v = n["drain"]) t.drain = r_.duration(v, "timeouts.drain", true);
  }

  void outlier(const YAML::Node& n, OutlierConfig& o) {
    r_.check_map(n, {"consecutive_failures", "base_ejection", "max_ejection", "max_ejection_percent"}, "outlier");
    if (auto v = n["consecutive_failures"]) o.consecutive_failures = static_cast<std::uint32_t>(r_.unsigned_int(v, "outlier.consecutive_failures", 0, 1000));
    if (auto v = n["base_ejection"]) o.base_ejection = r_.duration(v, "outlier.base_ejection", false);
    if (auto v = n["max_ejection"]) o.max_ejection = r_.duration(v, "outlier.max_ejection", false);
    if (auto v = n["max_ejection_percent"]) o.max_ejection_percent = static_cast<std::uint32_t>(r_.unsigned_int(v, "outlier.max_ejection_percent", 0, 100));
    if (o.max_ejection < o.base_ejection) {
      r_.fail(n["max_ejection"] ? n["max_ejection"] : n, "outlier.max_ejection: must be at least base_ejection");
    }
  }

  YamlReader r_;
};

}  // namespace

Config parse_config(std::string_view yaml_text, std::string_view file_name_for_errors) {
  const std::string file(file_name_for_errors);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    YamlReader(file).fail(e.mark, "YAML syntax error: " + e.msg);
  }
  Config c = Loader(file).load(root);
  c.source = file;
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ":1:1: cannot read the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

Config quick_config(const std::string& listen, const std::vector<std::string>& backend_urls, std::uint32_t threads) {
  const std::string where = "<command line>";
  if (!parse_host_port(listen)) throw ConfigError(where + ":1:1: --listen: must be HOST:PORT; got '" + listen + "'");
  if (backend_urls.empty()) throw ConfigError(where + ":1:1: at least one --backend URL is required");
  Config c;
  c.source = "<quick>";
  c.listen = listen;
  c.threads = threads;
  PoolConfig pool;
  pool.name = "default";
  pool.policy = Policy::kModelAware;
  for (const std::string& url : backend_urls) {
    BackendConfig b;
    b.url = url;
    if (const auto error = parse_backend_url(url, b)) throw ConfigError(where + ":1:1: --backend '" + url + "' " + *error);
    b.name = default_backend_name(b);
    for (const BackendConfig& other : pool.backends) {
      if (other.name == b.name) throw ConfigError(where + ":1:1: --backend '" + url + "' is given twice");
    }
    pool.backends.push_back(std::move(b));
  }
  c.pools.push_back(std::move(pool));
  c.default_pool = "default";
  return c;
}

}  // namespace corral::config
