// One backend (an Ollama server in a pool): identity, resolved address, and the live state that must
// survive configuration reloads — its slot counter, its health (written by the control thread, read by
// workers as an atomic), its active-check state and its warm-model catalog. A reload keeps the Backend
// object of every (pool, url) that stays configured; per-configuration values (weight, outlier detector)
// live in the snapshot's PoolMember instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admission/slots.hpp"
#include "common/asio.hpp"
#include "config/config.hpp"
#include "upstream/model_catalog.hpp"
#include "upstream/agent_reading.hpp"
#include "upstream/health_state.hpp"

namespace corral::tls {
struct UpstreamTls;
}

namespace corral::upstream {

class Backend final {
 public:
  /// Resolves the host (blocking; control thread at startup or reload) and, for `https://`, loads the CA
  /// certificates (throws std::runtime_error when they cannot be loaded). `config` must be validated.
  Backend(const config::BackendConfig& config, std::string_view pool_name, const config::HealthConfig& health);

  const std::uint64_t uid;          ///< process-unique id (per-worker connection pools key on it)
  const std::uint64_t affinity_id;  ///< stable hash of (pool, url): session affinity survives restarts
  const std::string pool_name;
  const std::string name;           ///< label in logs (BackendConfig::name)
  const std::string url;
  const std::string authority;      ///< Host field for requests: host[:port]
  const std::string path_prefix;    ///< "" or "/prefix"
  const std::vector<tcp::endpoint> endpoints;  ///< resolved at construction; empty = unresolvable

  /// The backend's concurrency counter (its limit follows max_inflight across reloads).
  const std::shared_ptr<admission::Slots> slots = std::make_shared<admission::Slots>();
  /// Eligible by active health checks. Written by the control thread only.
  std::atomic<bool> healthy{true};
  /// Which models are warm here.
  upstream::ModelCatalog catalog;
  /// Active-check state: touched by the control thread only.
  HealthState health;
  /// The worker's `corral agent` as a GET target (http_get), or null when `agent` is not configured.
  const std::shared_ptr<const Backend> agent;
  /// What that agent last reported (model poller); see agent_reading.hpp.
  AgentReading agent_reading;
  /// TLS settings for an `https://` backend (tls/upstream_tls.hpp), null for plain HTTP.
  const std::shared_ptr<const tls::UpstreamTls> tls;
  /// reuse_key(config): a reload keeps this Backend only for the same key in the same pool.
  const std::string reuse_key;
};

/// What identifies a backend across reloads besides its pool: the URL, the agent it is read through and
/// its TLS settings.
[[nodiscard]] std::string reuse_key(const config::BackendConfig& config);

}  // namespace corral::upstream
