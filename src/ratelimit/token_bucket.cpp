#include "ratelimit/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace corral::ratelimit {
namespace {

double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

BucketLimit request_limit(const config::RequestLimit& limit) {
  if (!limit.enabled()) return {};
  const double seconds = std::chrono::duration<double>(limit.interval).count();
  return {static_cast<double>(limit.requests), static_cast<double>(limit.requests) / seconds};
}

BucketLimit tokens_per_minute(std::uint64_t tokens) {
  if (tokens == 0) return {};
  return {static_cast<double>(tokens), static_cast<double>(tokens) / 60.0};
}

BucketState full_bucket(const BucketLimit& limit, TimePoint now) { return {limit.capacity, now}; }

void refill(BucketState& state, const BucketLimit& limit, TimePoint now) {
  if (now > state.last) {
    state.level += seconds_between(state.last, now) * limit.per_second;
    state.last = now;
  }
  state.level = std::min(state.level, limit.capacity);
}

bool admits(double level, double cost) { return level > 0 && level >= cost; }

std::chrono::seconds retry_after(double level, double cost, const BucketLimit& limit) {
  if (!limit.enabled()) return std::chrono::seconds{1};
  // Needs level >= cost and level > 0; for cost 0 "just above zero" rounds up to the same second.
  const double missing = std::max(cost, 0.0) - level;
  const double seconds = std::ceil(std::max(missing, 0.0) / limit.per_second);
  return std::chrono::seconds{std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(seconds, 1e9)))};
}

bool is_idle(const BucketState& state, const BucketLimit& limit, TimePoint now) {
  const double accrued = now > state.last ? seconds_between(state.last, now) * limit.per_second : 0.0;
  return state.level + accrued >= limit.capacity;
}

std::string ip_requests_bucket(std::string_view client_ip) { return "ip:" + std::string(client_ip) + ":req"; }
std::string key_requests_bucket(std::string_view key_name) { return "key:" + std::string(key_name) + ":req"; }
std::string key_tokens_bucket(std::string_view key_name) { return "key:" + std::string(key_name) + ":tok"; }

}  // namespace corral::ratelimit
