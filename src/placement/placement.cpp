// Eviction follows Ollama's own order (least recently used first), so the victims we predict are the
// ones the server will drop. The cost of an eviction is the victims' own reload time: the next request
// for them pays it, so a worker with free VRAM beats one that must push a model out. Ollama loads one
// model at a time per server, so a cold fit also waits for the loads already running there: with two
// workers free, the second cold model goes to the one not busy loading the first.
#include "placement/placement.hpp"

#include <algorithm>

namespace corral::placement {
namespace {

// What remains of the loads under way on the worker (for models other than the requested one).
std::int64_t loads_ahead_ns(std::span<const Resident> others, std::int64_t now_ns) {
  std::int64_t ahead = 0;
  for (const Resident& r : others) {
    if (r.loading_since_ns != 0) ahead += std::max<std::int64_t>(0, r.loading_since_ns + r.load_estimate_ns - now_ns);
  }
  return ahead;
}

bool protected_now(const Resident& r, std::int64_t now_ns, bool passed_over, const Rules& rules) {
  return r.pinned || (!passed_over && now_ns - r.loaded_at_ns < rules.min_residency_ns);
}

// For a kNoRoom worker: would the model fit once every request running there has finished, taking only
// residents that are not protected (pinned, or fresh for a request not passed over)?
bool room_after_drain(std::uint64_t free, std::span<const Resident> others, std::uint64_t need, std::int64_t now_ns,
                      bool passed_over, const Rules& rules) {
  for (const Resident& r : others) {
    if (!protected_now(r, now_ns, passed_over, rules)) free += r.bytes;
  }
  return free >= need;
}

}  // namespace

Assessment assess(const WorkerFacts& w, std::span<Resident> others, std::int64_t now_ns, bool passed_over,
                  const Rules& rules) {
  if (w.loaded) return {Fit::kLoaded, 0, 0};
  if (w.loading_since_ns != 0) {
    return {Fit::kLoading, std::max<std::int64_t>(0, w.loading_since_ns + w.load_estimate_ns - now_ns), 0};
  }
  const std::int64_t load = w.load_estimate_ns + loads_ahead_ns(others, now_ns);
  if (!w.vram || w.model_bytes == 0) return {Fit::kFree, load, 0};
  if (w.model_bytes > *w.vram) return {Fit::kTooLarge, 0, 0};
  std::uint64_t used = 0;
  for (const Resident& r : others) used += r.bytes;
  const std::uint64_t free = used >= *w.vram ? 0 : *w.vram - used;
  if (w.model_bytes <= free) return {Fit::kFree, load, 0};

  std::sort(others.begin(), others.end(),
            [](const Resident& a, const Resident& b) { return a.last_used_ns < b.last_used_ns; });
  const Assessment no_room{Fit::kNoRoom, 0, 0, room_after_drain(free, others, w.model_bytes, now_ns, passed_over, rules)};
  std::uint64_t freed = free;
  std::int64_t cost = load;
  std::size_t victims = 0;  // idle residents in LRU order; busy ones interleave but are never taken
  for (const Resident& r : others) {
    // Ollama skips busy models and evicts the least recently used idle one, so a pinned or fresh model
    // ahead of the victims blocks the plan: we could not stop the server from taking it.
    if (r.in_flight != 0) continue;
    if (protected_now(r, now_ns, passed_over, rules)) return no_room;
    freed += r.bytes;
    cost += r.load_estimate_ns;
    ++victims;
    if (freed >= w.model_bytes) return {Fit::kEvict, cost, victims};
  }
  return no_room;
}

bool may_start_load(std::uint32_t replicas, std::optional<std::uint32_t> max_replicas, std::uint32_t waiting,
                    std::int64_t waited_ns, const Rules& rules) {
  if (replicas == 0) return true;
  if (max_replicas && replicas >= *max_replicas) return false;
  return waiting > rules.replicate_queue_depth || waited_ns >= rules.max_pass_over_ns;
}

void ClaimChoice::offer(std::size_t worker, std::uint32_t in_flight) {
  if (best_ && in_flight >= best_in_flight_) return;
  best_ = worker;
  best_in_flight_ = in_flight;
}

std::int64_t load_estimate_ns(std::uint64_t bytes, std::int64_t learned_ns, std::uint64_t bytes_per_second) {
  if (learned_ns > 0) return learned_ns;
  if (bytes == 0 || bytes_per_second == 0) return 1'000'000'000;
  const long double s = static_cast<long double>(bytes) / static_cast<long double>(bytes_per_second);
  return static_cast<std::int64_t>(s * 1e9L);
}

}  // namespace corral::placement
