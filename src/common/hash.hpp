// Hashing for balancing: one 64-bit hash for affinity keys and ring points, so the data path and the
// policies agree, and a splitmix step to stretch one random number into several.
#pragma once

#include <cstdint>
#include <string_view>

namespace corral::common {

/// 64-bit hash of `key` (FNV-1a folded through a splitmix64 finaliser for good avalanche). Stable across
/// runs and platforms: rings and affinity survive restarts.
[[nodiscard]] std::uint64_t hash_key(std::string_view key);

/// splitmix64 finaliser: a bijective mix of `x`.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Uniform value in [0, n) from 64 random bits (Lemire's multiply-shift; n > 0).
[[nodiscard]] constexpr std::uint32_t bounded(std::uint64_t random, std::uint32_t n) {
  return static_cast<std::uint32_t>(((random >> 32) * n) >> 32);
}

}  // namespace corral::common
