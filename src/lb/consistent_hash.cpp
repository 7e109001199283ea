// Ring: kPointsPerWeight x weight points per backend at common::hash_key("name#i"), sorted. A pick starts at the
// first point >= the key and walks clockwise, considering each backend once, and takes the first one that
// is a candidate and within its bounded-load capacity:
//   capacity_i = ceil(factor x (total_in_flight + 1) x weight_i / total_weight)   (candidates only)
//   acceptable  iff in_flight_i + 1 <= capacity_i
// Because sum(capacity_i) >= factor x (total + 1) > total, some candidate is always acceptable, so the walk
// ends; keys move off their owner only while it is overloaded (the paper's guarantee).
#include "lb/consistent_hash.hpp"

#include <algorithm>
#include <cmath>

#include "config/config.hpp"
#include "common/hash.hpp"
#include "lb/load_compare.hpp"

namespace corral::lb {
namespace {

std::vector<std::string> names_of(const config::PoolConfig& pool) {
  std::vector<std::string> names;
  for (const auto& b : pool.backends) names.push_back(b.name.empty() ? b.url : b.name);
  return names;
}

std::vector<std::uint32_t> weights_of(const config::PoolConfig& pool) {
  std::vector<std::uint32_t> weights;
  for (const auto& b : pool.backends) weights.push_back(b.weight);
  return weights;
}

}  // namespace

ConsistentHashPolicy::ConsistentHashPolicy(const std::vector<std::string>& names,
                                           const std::vector<std::uint32_t>& weights, double balance_factor)
    : balance_factor_(std::max(1.0, balance_factor)) {
  for (std::size_t b = 0; b < names.size(); ++b) {
    const std::uint32_t weight = b < weights.size() && weights[b] > 0 ? weights[b] : 1;
    const std::uint32_t points = kPointsPerWeight * weight;
    for (std::uint32_t i = 0; i < points; ++i) {
      ring_.emplace_back(common::hash_key(names[b] + "#" + std::to_string(i)), static_cast<std::uint32_t>(b));
    }
  }
  std::sort(ring_.begin(), ring_.end());
}

ConsistentHashPolicy::ConsistentHashPolicy(const config::PoolConfig& pool)
    : ConsistentHashPolicy(names_of(pool), weights_of(pool), pool.hash_balance_factor) {}

std::uint32_t ConsistentHashPolicy::owner(std::uint64_t key) const {
  if (ring_.empty()) return 0;
  auto it = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(key, std::uint32_t{0}));
  if (it == ring_.end()) it = ring_.begin();
  return it->second;
}

std::optional<std::size_t> ConsistentHashPolicy::pick(std::span<const Candidate> candidates,
                                                      const PickContext& ctx) {
  if (candidates.empty()) return std::nullopt;
  std::uint64_t total_in_flight = 0;
  std::uint64_t total_weight = 0;
  for (const Candidate& c : candidates) {
    total_in_flight += c.in_flight;
    total_weight += effective_weight(c);
  }
  const double share = balance_factor_ * static_cast<double>(total_in_flight + 1) / static_cast<double>(total_weight);
  auto acceptable = [&](const Candidate& c) {
    const double capacity = std::ceil(share * static_cast<double>(effective_weight(c)));
    return static_cast<double>(c.in_flight) + 1.0 <= capacity;
  };
  auto candidate_index = [&](std::uint32_t backend) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].backend == backend) return i;
    }
    return std::nullopt;
  };

  const std::uint64_t key = ctx.has_affinity_hash ? ctx.affinity_hash : common::hash_key(ctx.model_key);
  if (!ring_.empty()) {
    auto start = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(key, std::uint32_t{0}));
    std::size_t pos = static_cast<std::size_t>(start - ring_.begin());
    // Each candidate is judged once (its first point on the walk); `seen` marks judged candidate indices.
    std::uint64_t seen_small = 0;
    std::vector<bool> seen_large(candidates.size() > 64 ? candidates.size() : 0);
    auto mark_seen = [&](std::size_t i) {
      if (candidates.size() <= 64) {
        const bool was = (seen_small >> i) & 1U;
        seen_small |= std::uint64_t{1} << i;
        return was;
      }
      const bool was = seen_large[i];
      seen_large[i] = true;
      return was;
    };
    std::size_t examined = 0;
    for (std::size_t step = 0; step < ring_.size() && examined < candidates.size(); ++step) {
      const auto idx = candidate_index(ring_[(pos + step) % ring_.size()].second);
      if (!idx || mark_seen(*idx)) continue;
      ++examined;
      if (acceptable(candidates[*idx])) return *idx;
    }
  }
  // Candidates that are not on the ring (a backend index outside the configuration): least loaded.
  std::size_t best = 0;
  for (std::size_t i = 1; i < candidates.size(); ++i) {
    if (compare_weighted(candidates[i].in_flight, effective_weight(candidates[i]), candidates[best].in_flight,
                         effective_weight(candidates[best])) < 0) {
      best = i;
    }
  }
  return best;
}

}  // namespace corral::lb
