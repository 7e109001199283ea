// The arithmetic of model placement, pure and clock-free (time is passed in as steady nanoseconds), so
// the rules can be unit-tested: how a worker could take a model (already loaded, loading, into free
// VRAM, by evicting idle models, or not at all), what that costs in expected time to first token, and
// when a request may start a load although the model is warm elsewhere (replication, pass-over bound).
// The pick (placement/model_pick) applies them to a view of the pool; the model_aware policy ranks by the cost.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace corral::placement {

/// Another model loaded on the worker: what evicting it would free and cost.
struct Resident {
  std::uint64_t bytes = 0;
  std::int64_t load_estimate_ns = 0;  ///< what bringing it back later would cost
  std::int64_t last_used_ns = 0;
  std::int64_t loaded_at_ns = 0;
  std::int64_t loading_since_ns = 0;  ///< 0 = resident; else its load started then (the worker is busy loading)
  std::uint32_t in_flight = 0;        ///< requests running on it: never evicted
  bool pinned = false;                ///< never evicted by Corral's choices
  std::size_t tag = 0;                ///< caller's index (which state to mark evicted)
};

/// The requested model on one worker.
struct WorkerFacts {
  std::optional<std::uint64_t> vram;  ///< configured capacity; nullopt = unknown (never guessed)
  bool loaded = false;
  std::int64_t loading_since_ns = 0;  ///< 0 = no load under way
  std::int64_t load_estimate_ns = 0;
  std::uint64_t model_bytes = 0;      ///< 0 = unknown size
};

enum class Fit {
  kLoaded,       ///< cost 0
  kLoading,      ///< cost = what remains of the load estimate
  kFree,         ///< fits in free VRAM (or VRAM not configured): cost = load estimate
  kEvict,        ///< fits after evicting idle residents: cost = load + their reload estimates
  kNoRoom,       ///< would need to evict a busy, pinned or freshly loaded model (see Assessment::drainable)
  kTooLarge,     ///< larger than the worker's whole VRAM: never placed there
};

struct Assessment {
  Fit fit = Fit::kFree;
  std::int64_t cost_ns = 0;
  std::size_t victims = 0;  ///< for kEvict: the first `victims` of `others` (sorted LRU first) would go
  bool drainable = false;   ///< for kNoRoom: room appears once the busy residents finish (none pinned in the way)
};

struct Rules {
  std::int64_t min_residency_ns = 0;
  std::int64_t max_pass_over_ns = 0;
  std::uint32_t replicate_queue_depth = 10;
};

/// How this worker could take the model. Sorts `others` least recently used first (eviction order).
/// `passed_over`: the request waited past max_pass_over, so fresh models lose their residency protection.
/// A cold fit (kFree, kEvict) also costs what remains of loads already under way there for other models:
/// Ollama loads one model at a time, so a second load waits behind the first.
[[nodiscard]] Assessment assess(const WorkerFacts& worker, std::span<Resident> others, std::int64_t now_ns,
                                bool passed_over, const Rules& rules);

/// Whether a request may start a load on another worker while `replicas` workers have the model loaded or
/// loading: always when none has it; never at max_replicas; otherwise only when more than
/// replicate_queue_depth requests for it wait, or this one has waited max_pass_over.
[[nodiscard]] bool may_start_load(std::uint32_t replicas, std::optional<std::uint32_t> max_replicas,
                                  std::uint32_t waiting, std::int64_t waited_ns, const Rules& rules);

/// Where a passed-over request stakes its claim when no worker has room for its model: among the workers
/// that would have room once their busy models finish (Assessment::drainable), the one with the fewest
/// requests running (it drains first), the earliest offered on ties. While the claim stands, the pick
/// places no other model's requests there, so the worker drains and the claimant loads its model: the
/// bound on how long any request is passed over (docs/models.md, "Replication and anti-thrash").
class ClaimChoice final {
 public:
  void offer(std::size_t worker, std::uint32_t in_flight);
  [[nodiscard]] std::optional<std::size_t> best() const { return best_; }
  void clear() { best_.reset(); }

 private:
  std::optional<std::size_t> best_;
  std::uint32_t best_in_flight_ = 0;
};

/// Load time estimate: the learned one when there is one, else bytes / bytes_per_second (a 1 s floor
/// for unknown sizes, so an unknown model is never free).
[[nodiscard]] std::int64_t load_estimate_ns(std::uint64_t bytes, std::int64_t learned_ns,
                                            std::uint64_t bytes_per_second);

}  // namespace corral::placement
