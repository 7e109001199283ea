// The public listener's admission checks for one request, in order: who the client is (trusted-proxy
// X-Forwarded-For), which key it holds (401), whether that key may make this call (calls whose route
// needs the admin role need an admin key; allow lists on pools and models: 403), and whether its buckets
// have room (429 with Retry-After). Afterwards, generated tokens are charged to the key. The access policy
// (keys, CIDRs, matcher) is not its own: it comes with the registry's snapshot the request loaded, so no
// lock is taken per request. It uses the rate-limit state the app hands it for the process's life (so
// buckets survive reloads) and, when `redis` is configured, the app's SharedStore, which makes that state
// common to every replica. It does not write responses.
#pragma once

#include <memory>
#include <string>

#include "auth/access_policy.hpp"
#include "common/asio.hpp"
#include "config/config.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "routing/request_info.hpp"
#include "routing/router.hpp"

namespace corral::shared_state {
class SharedStore;
}

namespace corral::auth {

/// The answer for one request. `key` points into `policy`, which the verdict keeps alive (with the
/// snapshot it belongs to).
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
  /// `local` holds the buckets. `shared` is the app's Redis store (started and stopped by the app, and
  /// outliving this gatekeeper), or nullptr without `redis`.
  Gatekeeper(std::shared_ptr<ratelimit::LocalRateLimiter> local, shared_state::SharedStore* shared);
  Gatekeeper(const Gatekeeper&) = delete;
  Gatekeeper& operator=(const Gatekeeper&) = delete;

  /// Applies a new configuration's bucket bound. A reload keeps every bucket: they are named by client
  /// and key, and limits travel with each call. Control thread.
  void reconfigure(const config::Config& config);

  /// Resolves the client address only (no key, no limits): for listeners and paths that skip the checks.
  [[nodiscard]] static std::string client_ip(const AccessPolicy& policy, const IpAddress& peer,
                                             const http::fields& fields);

  /// Runs every check for a request on the public listener; whether the call needs an admin key is the
  /// route's `access` column (routing/router.hpp). Allow lists read the model from `info` (the
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

 private:
  std::shared_ptr<ratelimit::LocalRateLimiter> local_;
  shared_state::SharedStore* shared_;
};

}  // namespace corral::auth
