// Cold starts made visible: which model is loading on which backend, since when, and about how long it
// still needs (the load estimate minus the time spent), for the status page and metrics to show. Reads
// the catalogs only; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "upstream/backend_registry.hpp"

namespace corral::models {

struct LoadingModel {
  std::string pool;
  std::string backend;       ///< the backend's name
  std::string model;         ///< routing key
  std::int64_t since_ns = 0; ///< steady clock
  std::int64_t remaining_ns = 0;  ///< expected; 0 when overdue
};

/// Every load under way in `snap` at `now_ns` (steady), pool by pool in configuration order.
[[nodiscard]] std::vector<LoadingModel> loading_models(const upstream::Snapshot& snap, std::int64_t now_ns);

}  // namespace corral::models
