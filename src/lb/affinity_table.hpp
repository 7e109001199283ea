// Session affinity: a session key (hash of the affinity header or client address, common::hash_key) ->
// the backend it was sent to, kept while the session is active and forgotten `ttl` after its last use.
// Backends are identified by a caller-chosen 64-bit id (e.g. common::hash_key(backend name)), so entries survive
// a reload that reorders backends; the caller checks that the backend is still eligible. Sharded, one
// small mutex per shard; time is passed in.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace corral::lb {

class AffinityTable final {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kShards = 16;

  /// `max_entries` bounds memory: a full shard first drops expired entries, then the one expiring soonest.
  explicit AffinityTable(std::chrono::nanoseconds ttl, std::size_t max_entries = std::size_t{1} << 20);

  /// The backend remembered for `key`, refreshing its TTL; nullopt when none or expired.
  [[nodiscard]] std::optional<std::uint64_t> lookup(std::uint64_t key, Clock::time_point now);
  /// Remembers (or moves) `key` -> `backend` until now + ttl.
  void remember(std::uint64_t key, std::uint64_t backend, Clock::time_point now);
  /// Forgets `key` (e.g. its backend left the pool).
  void forget(std::uint64_t key);
  /// Drops expired entries (call now and then from a timer); returns how many went.
  std::size_t sweep(Clock::time_point now);
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::uint64_t backend;
    Clock::time_point expires;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::uint64_t, Entry> entries;
  };
  Shard& shard(std::uint64_t key) { return shards_[key % kShards]; }
  void make_room(Shard& shard, Clock::time_point now);

  std::chrono::nanoseconds ttl_;
  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace corral::lb
