// The public listener's admission checks for one request, in order: who the client is (trusted-proxy
// X-Forwarded-For), which key it holds (401), whether that key may make this call (management calls need
// an admin key; allow lists on pools and models: 403), and whether its buckets have room (429 with
// Retry-After). Afterwards, generated tokens are charged to the key. Owns the rate-limit state for the
// process's life (so buckets survive reloads) and, when `redis` is configured, the SharedStore that makes
// it common to every replica. The per-configuration part (keys, CIDRs, matcher) is rebuilt lazily the
// first time a request sees a new configuration snapshot. It does not write responses.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "auth/key_store.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "auth/trusted_proxies.hpp"
#include "common/asio.hpp"
#include "config/config.hpp"
#include "routing/model_matcher.hpp"
#include "routing/request_info.hpp"
#include "routing/router.hpp"
#include "shared_state/shared_store.hpp"

namespace corral::auth {

/// What one configuration says about access. Immutable; shared by every worker.
struct AccessPolicy {
  explicit AccessPolicy(std::shared_ptr<const config::Config> c);

  std::shared_ptr<const config::Config> config;
  KeyStore keys;
  CidrSet trusted;
  routing::ModelMatcher matcher;
};

/// The answer for one request. `key` points into `policy`, which the verdict keeps alive.
struct Verdict {
  int status = 0;                     ///< 0 = admitted; else 401, 403 or 429
  std::string message;                ///< client-facing reason of a refusal
  std::uint32_t retry_after = 0;      ///< seconds, for 429
  std::shared_ptr<const AccessPolicy> policy;
  const ApiKey* key = nullptr;        ///< the caller's key; nullptr with auth off
  std::string client_ip;              ///< after trusted-proxy resolution

  [[nodiscard]] bool admitted() const { return status == 0; }
};

class Gatekeeper final {
 public:
  /// Builds the Redis store when `initial.redis` is set (not started). Throws on an invalid configuration.
  explicit Gatekeeper(const config::Config& initial);
  ~Gatekeeper();
  Gatekeeper(const Gatekeeper&) = delete;
  Gatekeeper& operator=(const Gatekeeper&) = delete;

  /// Starts the Redis thread (if any). Control thread, once.
  void start();
  /// Stops it; later decisions are local. Idempotent.
  void stop();

  /// The policy for `config` (rebuilt once per new configuration). Thread-safe.
  [[nodiscard]] std::shared_ptr<const AccessPolicy> policy(const std::shared_ptr<const config::Config>& config);

  /// Resolves the client address only (no key, no limits): for listeners and paths that skip the checks.
  [[nodiscard]] static std::string client_ip(const AccessPolicy& policy, const IpAddress& peer,
                                             const http::fields& fields);

  /// Runs every check for a request on the public listener. Allow lists read the model from `info` (the
  /// request's facts, read once by the connection), never the body. `peer` is normalized
  /// (common::normalize) and `peer_text` is its text.
  [[nodiscard]] net::awaitable<Verdict> check(std::shared_ptr<const AccessPolicy> policy, const IpAddress& peer,
                                              std::string_view peer_text, const http::request<http::string_body>& msg,
                                              const routing::Route& route, const routing::RequestInfo& info);

  /// Checks only the key for Corral's admin API on the public listener: admitted with an admin key.
  [[nodiscard]] static Verdict check_admin(std::shared_ptr<const AccessPolicy> policy,
                                           const http::fields& fields);

  /// Charges `tokens` generated tokens to `key`'s tokens_per_minute bucket (no-op without one).
  void charge(const ApiKey* key, std::uint64_t tokens);

  /// Drops idle local buckets; call periodically from the control thread.
  std::size_t sweep();
  /// sweep() every 10 s, forever (co_spawn on the control thread; ends with its io_context).
  net::awaitable<void> sweep_loop();

  [[nodiscard]] ratelimit::LocalRateLimiter& local() { return *local_; }
  /// nullptr without `redis`.
  [[nodiscard]] shared_state::SharedStore* shared() { return shared_.get(); }

 private:
  std::shared_ptr<ratelimit::LocalRateLimiter> local_;
  std::unique_ptr<shared_state::SharedStore> shared_;
  std::mutex mu_;  // guards current_ rebuilds only; readers take it briefly to copy the pointer
  std::shared_ptr<const AccessPolicy> current_;
};

}  // namespace corral::auth
