// The local rate limiter: named token buckets in N independently locked shards (no global mutex; a
// shard's mutex is held for a few map operations, never across a co_await), with bounded memory. Limits
// come with each call, so a config reload that changes them keeps every bucket's level. Time comes with
// each call too (the caller reads steady_now(); tests pass explicit points). Thread-safe.
// The shared (Redis) limiter in shared_state/ falls back to this one.
#pragma once

#include <array>
#include <atomic>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ratelimit/token_bucket.hpp"

namespace corral::ratelimit {

class LocalRateLimiter final {
 public:
  /// `max_buckets` bounds memory (about 100 bytes per bucket plus the name).
  explicit LocalRateLimiter(std::size_t max_buckets = 100000);

  /// Applies `ops` atomically with respect to other calls on the same buckets: refills each bucket, then
  /// refuses (taking nothing from any kTake bucket) if one kTake bucket lacks its cost, else takes every
  /// cost; kCharge ops are always applied. Ops whose limit is disabled are ignored.
  [[nodiscard]] RateDecision apply(std::span<const BucketOp> ops, TimePoint now);

  /// Drops the buckets that would be full by now (they are equivalent to absent ones). Call from a timer on
  /// the control thread (e.g. every 10 s). Returns how many were dropped.
  std::size_t sweep(TimePoint now);

  /// New bound, e.g. after a reload; shrinking takes effect at the next insertions.
  void set_max_buckets(std::size_t max_buckets);
  [[nodiscard]] std::size_t size() const;
  /// Buckets dropped while still in use because the bound was reached (a sign max_buckets is too low or a
  /// flood of client addresses).
  [[nodiscard]] std::uint64_t evicted_active() const { return evicted_active_.load(std::memory_order_relaxed); }

  static constexpr std::size_t kShards = 16;

 private:
  struct Bucket {
    BucketState state;
    BucketLimit limit;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket, Hash, std::equal_to<>> buckets;
  };

  static std::size_t shard_of(std::string_view key);
  Bucket& find_or_insert(Shard& shard, const BucketOp& op, TimePoint now);
  void make_room(Shard& shard, TimePoint now);

  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> max_per_shard_;
  std::atomic<std::uint64_t> evicted_active_{0};
};

}  // namespace corral::ratelimit
