// Predictive prewarm (seed 002): load one more replica before the queue builds. Per model, an
// exponentially weighted average of how busy its warm slots are (requests running / (loaded replicas x
// num_parallel)), sampled once per poll round with weight 1/2 for the newest sample, so two busy rounds in a
// row reach 0.75 and three reach 0.875. When it reaches kThreshold (0.8) the request rate has risen to
// about the warm capacity: any further rise queues, so the lifecycle loads another replica now rather than
// after replicate_queue_depth requests have piled up. Control thread only.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace corral::models {

class BusyPredictor final {
 public:
  static constexpr double kThreshold = 0.8;

  /// Feeds one sample for `model` (busy requests on `slots` warm slots; slots 0 = nothing warm, which
  /// resets the average) and says whether another replica is wanted now.
  bool observe(std::uint64_t model, std::uint32_t busy, std::uint32_t slots);
  /// The current average for `model` (tests, status).
  [[nodiscard]] double utilization(std::uint64_t model) const;

 private:
  std::unordered_map<std::uint64_t, double> ewma_;
};

}  // namespace corral::models
