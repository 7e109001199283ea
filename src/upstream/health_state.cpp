// Pingora's consecutive-observation counter with separate rise and fall thresholds.
#include "upstream/health_state.hpp"

#include <algorithm>

namespace corral::upstream {

HealthState::HealthState(std::uint32_t rise, std::uint32_t fall, HealthStatus initial)
    : rise_(std::max<std::uint32_t>(rise, 1)), fall_(std::max<std::uint32_t>(fall, 1)), status_(initial) {}

HealthTransition HealthState::observe(bool success) {
  if (status_ == HealthStatus::kUnknown) {
    status_ = success ? HealthStatus::kHealthy : HealthStatus::kUnhealthy;
    pending_ = 0;
    return HealthTransition::kChanged;
  }
  const bool agrees = success == (status_ == HealthStatus::kHealthy);
  if (agrees) {
    pending_ = 0;
    return HealthTransition::kUnchanged;
  }
  const std::uint32_t threshold = success ? rise_ : fall_;
  if (++pending_ < threshold) return HealthTransition::kChangePending;
  status_ = success ? HealthStatus::kHealthy : HealthStatus::kUnhealthy;
  pending_ = 0;
  return HealthTransition::kChanged;
}

}  // namespace corral::upstream
