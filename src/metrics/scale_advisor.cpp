#include "metrics/scale_advisor.hpp"

#include <algorithm>
#include <cstdio>

namespace corral::metrics {

std::string_view to_string(ScaleDirection d) noexcept {
  switch (d) {
    case ScaleDirection::up: return "up";
    case ScaleDirection::down: return "down";
    case ScaleDirection::hold: return "hold";
  }
  return "hold";
}

namespace {
std::string fmt(const char* f, double a, double b) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}
}  // namespace

ScaleRecommendation ScaleAdvisor::observe(const std::string& pool, const PoolSignal& s, Clock::time_point now) {
  const auto& p = policy_;
  PoolState& st = pools_[pool];
  if (st.recommended < 0) st.recommended = std::clamp(s.workers, p.min_workers, p.max_workers);

  const double per_worker = s.queued / std::max(1, s.workers);
  const bool hot = s.max_vram_ratio > p.vram_up || per_worker > p.queue_up;
  const bool calm = s.max_vram_ratio < p.vram_down && per_worker <= p.queue_down;
  if (!calm) st.calm_since.reset();
  else if (!st.calm_since) st.calm_since = now;

  ScaleRecommendation r;
  if (st.recommended < p.min_workers) {
    st.recommended = p.min_workers;
    st.last_change = now;
    r.direction = ScaleDirection::up;
    r.reason = "below min_workers";
  } else if (hot) {
    const bool cooling = st.last_up && now - *st.last_up < p.up_cooldown;
    // Scale from what is actually running: if the last step has not materialised yet, the
    // cooldown holds, and after it a new step starts from the larger of the two.
    const int base = std::max(st.recommended, s.workers);
    if (cooling) {
      r.reason = "hot, but within the scale-up cooldown";
    } else if (base >= p.max_workers) {
      st.recommended = p.max_workers;
      r.reason = "hot, already at max_workers";
    } else {
      st.recommended = std::min(p.max_workers, base + std::max(1, p.step));
      st.last_up = now;
      st.last_change = now;
      r.direction = ScaleDirection::up;
      r.reason = s.max_vram_ratio > p.vram_up
                     ? fmt("VRAM %.0f%% above %.0f%%", s.max_vram_ratio * 100, p.vram_up * 100)
                     : fmt("%.1f queued per worker above %.1f", per_worker, p.queue_up);
    }
  } else if (calm && now - *st.calm_since >= p.down_stable) {
    const bool cooling = st.last_change && now - *st.last_change < p.down_cooldown;
    if (cooling) {
      r.reason = "calm, but within the scale-down cooldown";
    } else if (st.recommended <= p.min_workers) {
      r.reason = "calm, already at min_workers";
    } else {
      st.recommended -= 1;
      st.last_change = now;
      st.calm_since = now;  // the next step down needs another full calm period
      r.direction = ScaleDirection::down;
      r.reason = fmt("VRAM below %.0f%% and queue at most %.1f per worker for the whole period",
                     p.vram_down * 100, p.queue_down);
    }
  } else {
    r.reason = calm ? "calm, waiting for the period to pass" : "within the hysteresis band";
  }
  r.recommended = st.recommended;
  return r;
}

}  // namespace corral::metrics
