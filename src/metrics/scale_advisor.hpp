// ScaleAdvisor: how many workers each pool should have, from the seed's rule made sane.
//
// The seed (002) scales up when VRAM use > 85 % or queue depth > 10, and "considers" scaling
// down below 30 % with an empty queue, every 15 s and with no memory: it flaps. Here:
//  - up:   the pool's highest per-worker VRAM ratio > vram_up (0.85), or queued requests per
//          worker > queue_up (10). One step of `step` workers, then no further step up for
//          up_cooldown (3 min), which is the time a new worker needs to start and load models.
//  - down: only when *every* sample for down_stable (10 min) had VRAM ratio < vram_down (0.50)
//          and queue per worker <= queue_down (1), and not within down_cooldown (10 min) of
//          any change. One worker at a time.
//  - the gap between the up and down thresholds is the hysteresis band: inside it the
//    recommendation holds.
//  - always within [min_workers, max_workers]; a pool below min is raised at once.
// Pure: the caller passes the time of each observation (tests use explicit time points), and
// the advisor keeps per-pool state between calls. Not thread-safe; call it from the control
// thread. The gateway publishes the result at /corral/api/scale and as the
// ollama_gateway_recommended_workers{pool} gauge.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace corral::metrics {

struct ScalePolicy {
  double vram_up = 0.85;
  double vram_down = 0.50;
  double queue_up = 10;   // queued requests per worker
  double queue_down = 1;  // queued requests per worker
  int step = 1;
  int min_workers = 1;
  int max_workers = 10;
  std::chrono::seconds up_cooldown{180};
  std::chrono::seconds down_cooldown{600};
  std::chrono::seconds down_stable{600};
};

/// What the gateway knows about a pool at one moment.
struct PoolSignal {
  int workers = 0;              // workers currently serving the pool (healthy or not)
  double max_vram_ratio = 0;    // highest used/total VRAM over the pool's workers, 0..1
  double queued = 0;            // ai_request_queue_depth for the pool
};

enum class ScaleDirection { hold, up, down };

struct ScaleRecommendation {
  int recommended = 0;
  ScaleDirection direction = ScaleDirection::hold;
  std::string reason;  // one short sentence for the API and logs
};

class ScaleAdvisor {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ScaleAdvisor(ScalePolicy policy = {}) : policy_(policy) {}

  /// Feeds one observation of `pool` taken at `now` (monotonic per pool) and returns the
  /// current recommendation.
  ScaleRecommendation observe(const std::string& pool, const PoolSignal& signal, Clock::time_point now);

  const ScalePolicy& policy() const noexcept { return policy_; }

 private:
  struct PoolState {
    int recommended = -1;                     // -1: no recommendation yet
    std::optional<Clock::time_point> last_up;
    std::optional<Clock::time_point> last_change;
    std::optional<Clock::time_point> calm_since;  // start of the current run of "could shrink" samples
  };
  ScalePolicy policy_;
  std::map<std::string, PoolState, std::less<>> pools_;
};

std::string_view to_string(ScaleDirection d) noexcept;

}  // namespace corral::metrics
