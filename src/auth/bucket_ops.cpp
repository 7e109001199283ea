#include "auth/bucket_ops.hpp"

namespace corral::auth {

std::vector<ratelimit::BucketOp> request_ops(const ApiKey* key, std::string_view client_ip, const config::RateLimitConfig& config) {
  std::vector<ratelimit::BucketOp> ops;
  if (config.per_ip.enabled()) ops.push_back({ratelimit::ip_requests_bucket(client_ip), ratelimit::request_limit(config.per_ip), 1});
  if (key != nullptr) {
    if (key->limits.requests.enabled()) {
      ops.push_back({ratelimit::key_requests_bucket(key->name), ratelimit::request_limit(key->limits.requests), 1});
    }
    if (key->limits.tokens_per_minute > 0) {
      ops.push_back({ratelimit::key_tokens_bucket(key->name), ratelimit::tokens_per_minute(key->limits.tokens_per_minute), 0});
    }
  }
  return ops;
}

std::vector<ratelimit::BucketOp> charge_ops(const ApiKey* key, std::uint64_t tokens) {
  std::vector<ratelimit::BucketOp> ops;
  if (key == nullptr || key->limits.tokens_per_minute == 0 || tokens == 0) return ops;
  ops.push_back({ratelimit::key_tokens_bucket(key->name), ratelimit::tokens_per_minute(key->limits.tokens_per_minute),
                 static_cast<double>(tokens), ratelimit::BucketOp::Kind::kCharge});
  return ops;
}

}  // namespace corral::auth
