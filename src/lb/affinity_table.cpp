// Expiry is lazy (on lookup) plus sweep(); a full shard evicts expired entries first, then the soonest.
#include "lb/affinity_table.hpp"

#include <algorithm>

namespace corral::lb {

AffinityTable::AffinityTable(std::chrono::nanoseconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

std::optional<std::uint64_t> AffinityTable::lookup(std::uint64_t key, Clock::time_point now) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  const auto it = s.entries.find(key);
  if (it == s.entries.end()) return std::nullopt;
  if (it->second.expires <= now) {
    s.entries.erase(it);
    return std::nullopt;
  }
  it->second.expires = now + ttl_;
  return it->second.backend;
}

void AffinityTable::remember(std::uint64_t key, std::uint64_t backend, Clock::time_point now) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(key);
  if (it != s.entries.end()) {
    it->second = Entry{backend, now + ttl_};
    return;
  }
  if (s.entries.size() >= max_per_shard_) make_room(s, now);
  s.entries.emplace(key, Entry{backend, now + ttl_});
}

void AffinityTable::make_room(Shard& s, Clock::time_point now) {
  std::erase_if(s.entries, [now](const auto& kv) { return kv.second.expires <= now; });
  if (s.entries.size() < max_per_shard_) return;
  const auto soonest = std::min_element(s.entries.begin(), s.entries.end(), [](const auto& a, const auto& b) {
    return a.second.expires < b.second.expires;
  });
  s.entries.erase(soonest);
}

void AffinityTable::forget(std::uint64_t key) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  s.entries.erase(key);
}

std::size_t AffinityTable::sweep(Clock::time_point now) {
  std::size_t dropped = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    dropped += std::erase_if(s.entries, [now](const auto& kv) { return kv.second.expires <= now; });
  }
  return dropped;
}

std::size_t AffinityTable::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace corral::lb
