#include "models/busy_predictor.hpp"

#include <algorithm>

namespace corral::models {

bool BusyPredictor::observe(std::uint64_t model, std::uint32_t busy, std::uint32_t slots) {
  if (slots == 0) {
    ewma_.erase(model);
    return false;
  }
  const double sample = std::min(1.0, static_cast<double>(busy) / static_cast<double>(slots));
  double& avg = ewma_[model];
  avg = 0.5 * avg + 0.5 * sample;
  return avg >= kThreshold;
}

double BusyPredictor::utilization(std::uint64_t model) const {
  const auto it = ewma_.find(model);
  return it == ewma_.end() ? 0.0 : it->second;
}

}  // namespace corral::models
