// Equal weights: ticket mod n, a plain rotation. Unequal weights: the ticket's position p in a cycle of
// W = sum(weights) is scrambled to q = p x K mod W with K coprime to W (K near W x 0.618, so consecutive
// tickets land far apart), and q falls into the candidate whose cumulative weight range holds it. As
// p -> q is a permutation of [0, W), every full cycle gives each candidate exactly its weight, spread over
// the cycle instead of in bursts (A,B,A,A for weights 3:1). The only shared state is the atomic ticket.
#include "lb/round_robin.hpp"

#include <numeric>

#include "lb/load_compare.hpp"

namespace corral::lb {
namespace {

std::uint64_t coprime_stride(std::uint64_t total) {
  if (total <= 2) return 1;
  std::uint64_t k = static_cast<std::uint64_t>(static_cast<double>(total) * 0.6180339887) | 1U;
  while (std::gcd(k, total) != 1) ++k;
  return k % total;
}

}  // namespace

std::optional<std::size_t> RoundRobinPolicy::pick(std::span<const Candidate> candidates, const PickContext&) {
  if (candidates.empty()) return std::nullopt;
  const std::uint64_t ticket = ticket_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t total = 0;
  bool equal = true;
  for (const Candidate& c : candidates) {
    total += effective_weight(c);
    equal = equal && effective_weight(c) == effective_weight(candidates.front());
  }
  if (equal) return static_cast<std::size_t>(ticket % candidates.size());

  const std::uint64_t q = (ticket % total) * coprime_stride(total) % total;
  std::uint64_t upper = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    upper += effective_weight(candidates[i]);
    if (q < upper) return i;
  }
  return candidates.size() - 1;  // unreachable: q < total
}

}  // namespace corral::lb
