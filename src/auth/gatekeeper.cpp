#include "auth/gatekeeper.hpp"

#include "auth/bucket_ops.hpp"
#include "shared_state/shared_store.hpp"

namespace corral::auth {
namespace {

std::string_view field(const http::fields& fields, http::field name) {
  const auto it = fields.find(name);
  return it == fields.end() ? std::string_view{} : std::string_view(it->value());
}

// The x-api-key field (Anthropic's clients send the key there), looked up only when keys are checked.
std::string_view api_key_field(const AccessPolicy& policy, const http::fields& fields) {
  if (!policy.keys.enabled()) return {};
  const auto it = fields.find("x-api-key");
  return it == fields.end() ? std::string_view{} : std::string_view(it->value());
}

AuthResult authenticate_request(const AccessPolicy& policy, const http::fields& fields) {
  return policy.keys.authenticate(field(fields, http::field::authorization), api_key_field(policy, fields));
}

// Each family's clients are told to send the key where their SDK puts it.
std::string missing_key_message(routing::ErrorFamily family) {
  if (family == routing::ErrorFamily::kAnthropic) {
    return "missing API key: send x-api-key: <key> (or Authorization: Bearer <key>)";
  }
  return "missing API key: send Authorization: Bearer <key>";
}

Verdict refused(int status, std::string message) {
  Verdict v;
  v.status = status;
  v.message = std::move(message);
  return v;
}

std::string_view bucket_kind(const std::vector<ratelimit::BucketOp>& ops, std::size_t index) {
  const std::string& name = ops[index].key;
  if (name.starts_with("ip:")) return "too many requests from this client address";
  if (name.ends_with(":tok")) return "token budget of this API key exhausted";
  return "too many requests for this API key";
}

}  // namespace

Gatekeeper::Gatekeeper(std::shared_ptr<ratelimit::LocalRateLimiter> local, shared_state::SharedStore* shared)
    : local_(std::move(local)), shared_(shared) {}

void Gatekeeper::reconfigure(const config::Config& config) {
  local_->set_max_buckets(config.rate_limits.max_buckets);
}

std::string Gatekeeper::client_ip(const AccessPolicy& policy, const IpAddress& peer, const http::fields& fields) {
  return common::normalize(client_address(common::normalize(peer), fields, policy.trusted)).to_string();
}

Verdict Gatekeeper::check_admin(std::shared_ptr<const AccessPolicy> policy, const http::fields& fields) {
  const AuthResult auth = authenticate_request(*policy, fields);
  Verdict v = KeyStore::may_manage(auth.key)
                  ? Verdict{}
                  : refused(403, "Corral's admin API is served on the admin listener; on this listener it needs an "
                                 "admin API key");
  v.policy = std::move(policy);
  v.key = auth.key;
  return v;
}

net::awaitable<Verdict> Gatekeeper::check(std::shared_ptr<const AccessPolicy> policy, const IpAddress& peer,
                                          std::string_view peer_text,
                                          const http::request<http::string_body>& msg, const routing::Route& route,
                                          const routing::RequestInfo& info) {
  const AuthResult auth = authenticate_request(*policy, msg);
  Verdict v;
  if (auth.status == AuthResult::Status::kNoKey) {
    v = refused(401, missing_key_message(route.family));
  } else if (auth.status == AuthResult::Status::kConflict) {
    v = refused(401, "Authorization and x-api-key carry different API keys: send one key, or the same in both");
  } else if (!auth.ok()) {
    v = refused(401, "invalid API key");
  } else if (route.traits->access == routing::Access::kAdmin && !KeyStore::may_manage(auth.key)) {
    v = refused(403, "model management calls (pull, push, create, copy, delete, blobs) need an admin API key "
                     "or the admin listener");
  } else if (auth.key != nullptr && (!auth.key->allowed_models.empty() || !auth.key->allowed_pools.empty())) {
    // An invalid body names no model here: the proxy answers it with its own 400 later.
    const std::string& model = info.model_key;
    if (info.ok() && !model.empty()) {
      const auto& pool = policy->config.pools[policy->matcher.pool_for(model)];
      if (!KeyStore::authorize(auth.key, pool.name, model)) {
        v = refused(403, "API key '" + auth.key->name + "' may not use model '" + model + "'");
      }
    }
  }
  v.key = auth.key;
  // The peer is the client unless it is a trusted proxy: the common case needs neither the X-Forwarded-For
  // lookup nor an address-to-text conversion (about 2k instructions a request, issue 8).
  v.client_ip = policy->trusted.contains(peer) ? client_ip(*policy, peer, msg) : std::string(peer_text);
  if (v.admitted()) {
    const std::vector<ratelimit::BucketOp> ops = request_ops(auth.key, v.client_ip, policy->config.rate_limits);
    if (!ops.empty()) {
      // Made before the co_await statement: GCC 12 double-destroys non-trivial temporaries in co_await
      // full-expressions, so the awaitable is a named local and its arguments are gone already.
      auto deciding = shared_state::SharedStore::decide(shared_, *local_, ops);
      const ratelimit::RateDecision d = co_await std::move(deciding);
      if (!d.allowed) {
        v.status = 429;
        v.message = std::string(bucket_kind(ops, d.refused_by));
        v.retry_after = static_cast<std::uint32_t>(std::max<std::int64_t>(1, d.retry_after.count()));
      }
    }
  }
  v.policy = std::move(policy);
  co_return v;
}

void Gatekeeper::charge(const ApiKey* key, std::uint64_t tokens) {
  std::vector<ratelimit::BucketOp> ops = charge_ops(key, tokens);
  if (ops.empty()) return;
  if (shared_) {
    shared_->charge(std::move(ops));
  } else {
    (void)local_->apply(ops, steady_now());
  }
}

std::size_t Gatekeeper::sweep() { return local_->sweep(steady_now()); }

net::awaitable<void> Gatekeeper::sweep_loop() {
  SteadyTimer tick(co_await net::this_coro::executor);
  for (;;) {
    tick.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await tick.async_wait();
    if (ec) co_return;
    (void)sweep();
  }
}

}  // namespace corral::auth
