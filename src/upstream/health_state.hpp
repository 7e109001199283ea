// One backend's health from active probes: Pingora's `observe` with HAProxy's rise/fall thresholds.
// A probe that agrees with the current state resets the counter; `fall` disagreeing failures in a row
// take a healthy backend down, `rise` successes in a row bring it back. Pure, no clock; not thread-safe
// (the health checker owns it on the control thread and publishes the result).
#pragma once

#include <cstdint>

namespace corral::upstream {

/// Envoy's vocabulary: pending = the probe disagrees with the state but the threshold is not reached.
enum class HealthTransition { kUnchanged, kChanged, kChangePending };

enum class HealthStatus {
  kHealthy,
  kUnhealthy,
  kUnknown,  ///< before the first probe when not starting healthy; the first probe decides at once
};

class HealthState final {
 public:
  /// `rise`, `fall` >= 1 (0 is read as 1). `initial`: kHealthy (HAProxy: servers start up), kUnhealthy
  /// (needs `rise` passes), or kUnknown (ineligible until the first probe, which decides either way).
  HealthState(std::uint32_t rise, std::uint32_t fall, HealthStatus initial = HealthStatus::kHealthy);

  /// Records one probe result and says whether the status changed.
  HealthTransition observe(bool success);

  [[nodiscard]] HealthStatus status() const { return status_; }
  /// Eligible for traffic (kUnknown is not).
  [[nodiscard]] bool healthy() const { return status_ == HealthStatus::kHealthy; }
  /// Consecutive probes that disagreed with the current status.
  [[nodiscard]] std::uint32_t pending() const { return pending_; }

 private:
  std::uint32_t rise_;
  std::uint32_t fall_;
  HealthStatus status_;
  std::uint32_t pending_ = 0;
};

}  // namespace corral::upstream
