#include "upstream/backend.hpp"

#include "common/hash.hpp"
#include "tls/upstream_tls.hpp"

namespace corral::upstream {
namespace {

std::uint64_t next_uid() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

std::string authority_of(const config::BackendConfig& c) {
  const bool v6 = c.host.find(':') != std::string::npos;
  std::string a = v6 ? "[" + c.host + "]" : c.host;
  const bool default_port = (!c.tls && c.port == 80) || (c.tls && c.port == 443);
  if (!default_port) a += ":" + std::to_string(c.port);
  return a;
}

std::vector<tcp::endpoint> resolve(const config::BackendConfig& c) {
  std::vector<tcp::endpoint> out;
  error_code ec;
  const auto address = net::ip::make_address(c.host, ec);
  if (!ec) {
    out.emplace_back(address, c.port);
    return out;
  }
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(c.host, std::to_string(c.port), ec);
  if (ec) return out;
  for (const auto& r : results) out.push_back(r.endpoint());
  return out;
}

// The agent as a Backend-shaped GET target (address, Host field, path prefix, its own pooled connections).
std::shared_ptr<const Backend> agent_target(const config::BackendConfig& c, std::string_view pool,
                                            const config::HealthConfig& hc) {
  if (c.agent.empty()) return nullptr;
  config::BackendConfig a;
  a.url = c.agent;
  a.host = c.agent_host;
  a.port = c.agent_port;
  a.path_prefix = c.agent_path_prefix;
  a.name = c.name + " agent";
  return std::make_shared<const Backend>(a, pool, hc);
}

}  // namespace

std::string reuse_key(const config::BackendConfig& config) {
  return config.url + "\n" + config.agent + "\n" + config.tls_ca + (config.tls_verify ? "" : "\nno-verify");
}

Backend::Backend(const config::BackendConfig& config, std::string_view pool, const config::HealthConfig& hc)
    : uid(next_uid()),
      affinity_id(common::hash_key(std::string(pool) + "\n" + config.url)),
      pool_name(pool),
      name(config.name),
      url(config.url),
      authority(authority_of(config)),
      path_prefix(config.path_prefix),
      endpoints(resolve(config)),
      health(hc.rise, hc.fall, hc.start_healthy ? HealthStatus::kHealthy : HealthStatus::kUnknown),
      agent(agent_target(config, pool, hc)),
      tls(config.tls ? tls::make_upstream_tls(config.host, config.tls_ca, config.tls_verify) : nullptr),
      reuse_key(upstream::reuse_key(config)) {
  healthy.store(health.healthy(), std::memory_order_relaxed);
  slots->limit.store(config.max_inflight, std::memory_order_relaxed);
}

}  // namespace corral::upstream
