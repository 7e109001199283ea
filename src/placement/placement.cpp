// Eviction follows Ollama's own order (least recently used first), so the victims we predict are the
// ones the server will drop. The cost of an eviction is the victims' own reload time: the next request
// for them pays it, so a worker with free VRAM beats one that must push a model out.
#include "placement/placement.hpp"

#include <algorithm>

namespace corral::placement {

Assessment assess(const WorkerFacts& w, std::span<Resident> others, std::int64_t now_ns, bool passed_over,
                  const Rules& rules) {
  if (w.loaded) return {Fit::kLoaded, 0, 0};
  if (w.loading_since_ns != 0) {
    return {Fit::kLoading, std::max<std::int64_t>(0, w.loading_since_ns + w.load_estimate_ns - now_ns), 0};
  }
  if (!w.vram || w.model_bytes == 0) return {Fit::kFree, w.load_estimate_ns, 0};
  if (w.model_bytes > *w.vram) return {Fit::kTooLarge, 0, 0};
  std::uint64_t used = 0;
  for (const Resident& r : others) used += r.bytes;
  const std::uint64_t free = used >= *w.vram ? 0 : *w.vram - used;
  if (w.model_bytes <= free) return {Fit::kFree, w.load_estimate_ns, 0};

  std::sort(others.begin(), others.end(),
            [](const Resident& a, const Resident& b) { return a.last_used_ns < b.last_used_ns; });
  std::uint64_t freed = free;
  std::int64_t cost = w.load_estimate_ns;
  std::size_t victims = 0;  // idle residents in LRU order; busy ones interleave but are never taken
  for (const Resident& r : others) {
    // Ollama skips busy models and evicts the least recently used idle one, so a pinned or fresh model
    // ahead of the victims blocks the plan: we could not stop the server from taking it.
    if (r.in_flight != 0) continue;
    const bool fresh = !passed_over && now_ns - r.loaded_at_ns < rules.min_residency_ns;
    if (r.pinned || fresh) return {Fit::kNoRoom, 0, 0};
    freed += r.bytes;
    cost += r.load_estimate_ns;
    ++victims;
    if (freed >= w.model_bytes) return {Fit::kEvict, cost, victims};
  }
  return {Fit::kNoRoom, 0, 0};
}

bool may_start_load(std::uint32_t replicas, std::optional<std::uint32_t> max_replicas, std::uint32_t waiting,
                    std::int64_t waited_ns, const Rules& rules) {
  if (replicas == 0) return true;
  if (max_replicas && replicas >= *max_replicas) return false;
  return waiting > rules.replicate_queue_depth || waited_ns >= rules.max_pass_over_ns;
}

std::int64_t load_estimate_ns(std::uint64_t bytes, std::int64_t learned_ns, std::uint64_t bytes_per_second) {
  if (learned_ns > 0) return learned_ns;
  if (bytes == 0 || bytes_per_second == 0) return 1'000'000'000;
  const long double s = static_cast<long double>(bytes) / static_cast<long double>(bytes_per_second);
  return static_cast<std::int64_t>(s * 1e9L);
}

}  // namespace corral::placement
