#include "ratelimit/rate_limiter.hpp"

#include <algorithm>

namespace corral::ratelimit {

LocalRateLimiter::LocalRateLimiter(std::size_t max_buckets) { set_max_buckets(max_buckets); }

void LocalRateLimiter::set_max_buckets(std::size_t max_buckets) {
  max_per_shard_.store(std::max<std::size_t>(1, max_buckets / kShards), std::memory_order_relaxed);
}

std::size_t LocalRateLimiter::shard_of(std::string_view key) {
  // Not Hash{}: the map's buckets use the low bits of the same hash, so take different bits here.
  return (std::hash<std::string_view>{}(key) >> 17) % kShards;
}

std::size_t LocalRateLimiter::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

// Called with the shard locked and full. Idle buckets go first (free: they are full anyway); when fewer
// than an eighth of the shard is idle, the least recently used eighth goes too, so the O(n) scan happens
// once per n/8 insertions, not on each one.
void LocalRateLimiter::make_room(Shard& shard, TimePoint now) {
  const std::size_t cap = max_per_shard_.load(std::memory_order_relaxed);
  std::erase_if(shard.buckets, [&](const auto& kv) { return is_idle(kv.second.state, kv.second.limit, now); });
  const std::size_t target = cap - std::max<std::size_t>(1, cap / 8);
  if (shard.buckets.size() <= target) return;
  std::vector<TimePoint> lasts;
  lasts.reserve(shard.buckets.size());
  for (const auto& kv : shard.buckets) lasts.push_back(kv.second.state.last);
  const std::size_t drop = shard.buckets.size() - target;
  std::nth_element(lasts.begin(), lasts.begin() + static_cast<std::ptrdiff_t>(drop - 1), lasts.end());
  const TimePoint cutoff = lasts[drop - 1];
  std::size_t dropped = 0;
  for (auto it = shard.buckets.begin(); it != shard.buckets.end() && dropped < drop;) {
    if (it->second.state.last <= cutoff) {
      it = shard.buckets.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  evicted_active_.fetch_add(dropped, std::memory_order_relaxed);
}

LocalRateLimiter::Bucket& LocalRateLimiter::find_or_insert(Shard& shard, const BucketOp& op, TimePoint now) {
  if (auto it = shard.buckets.find(std::string_view(op.key)); it != shard.buckets.end()) {
    it->second.limit = op.limit;  // the current configuration's limit; the level carries over
    refill(it->second.state, op.limit, now);
    return it->second;
  }
  return shard.buckets.emplace(op.key, Bucket{full_bucket(op.limit, now), op.limit}).first->second;
}

RateDecision LocalRateLimiter::apply(std::span<const BucketOp> ops, TimePoint now) {
  // Lock every shard involved, in index order (no deadlock between calls touching the same shards).
  std::array<std::size_t, kShards> involved{};
  for (const auto& op : ops) {
    if (op.limit.enabled()) ++involved[shard_of(op.key)];
  }
  std::array<std::unique_lock<std::mutex>, kShards> locks;
  const std::size_t cap = max_per_shard_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kShards; ++i) {
    if (involved[i] == 0) continue;
    locks[i] = std::unique_lock(shards_[i].mu);
    // Room is made before any bucket of this call is touched, so no pointer below can be evicted.
    if (shards_[i].buckets.size() + involved[i] > cap) make_room(shards_[i], now);
  }

  std::vector<Bucket*> buckets(ops.size(), nullptr);
  RateDecision decision;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& op = ops[i];
    if (!op.limit.enabled()) continue;
    Bucket& b = find_or_insert(shards_[shard_of(op.key)], op, now);
    buckets[i] = &b;
    if (decision.allowed && op.kind == BucketOp::Kind::kTake && !admits(b.state.level, op.cost)) {
      decision.allowed = false;
      decision.refused_by = i;
      decision.retry_after = retry_after(b.state.level, op.cost, op.limit);
    }
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (buckets[i] == nullptr) continue;
    if (ops[i].kind == BucketOp::Kind::kCharge || decision.allowed) buckets[i]->state.level -= ops[i].cost;
  }
  return decision;
}

std::size_t LocalRateLimiter::sweep(TimePoint now) {
  std::size_t dropped = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mu);
    dropped += std::erase_if(shard.buckets,
                             [&](const auto& kv) { return is_idle(kv.second.state, kv.second.limit, now); });
  }
  return dropped;
}

}  // namespace corral::ratelimit
