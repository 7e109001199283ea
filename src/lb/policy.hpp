// The load-balancing seam: a policy picks one backend among candidates the caller has already found
// eligible (healthy, not ejected, not yet tried, with a free slot). Policies see only these plain
// structs, never upstream/ state, so each one is a small pure function of its inputs plus its own
// thread-safe state (a counter, a ring).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace corral::config {
struct PoolConfig;
}

namespace corral::lb {

/// One backend the caller already found eligible (healthy, not tried, has capacity).
struct Candidate {
  std::uint32_t backend;       ///< stable index of the backend in its pool (PoolConfig::backends)
  std::uint32_t weight = 1;    ///< >= 1; 0 is read as 1
  std::uint32_t in_flight = 0;
  std::uint32_t queued = 0;    ///< requests waiting for this backend, if known
  bool warm = false;           ///< model loaded or loading there (model_aware prefers it)
  /// Expected extra time to first token here, in ns (model_aware ranks by it first): 0 when the model is
  /// loaded, what remains of a load under way, else the load estimate plus the cost of evictions.
  std::int64_t cost_ns = 0;
};

/// Per-request inputs of a pick.
struct PickContext {
  std::string_view model_key;       ///< normalised model (routing::model_key), may be empty
  std::uint64_t affinity_hash = 0;  ///< hash of the session key / client IP (common::hash_key), if any
  bool has_affinity_hash = false;
  std::uint64_t random = 0;         ///< fresh random bits per pick (ties, power-of-two sampling)
};

class Policy {  // implementations must be thread-safe: one instance is shared by all worker threads
 public:
  virtual ~Policy() = default;
  /// Index into `candidates` of the chosen one, or nullopt when `candidates` is empty.
  [[nodiscard]] virtual std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                        const PickContext& ctx) = 0;
};

/// The policy a pool's configuration names (policy_factory.cpp).
[[nodiscard]] std::unique_ptr<Policy> make_policy(const config::PoolConfig& pool);

}  // namespace corral::lb
