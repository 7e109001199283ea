// Small helpers shared by the sim_* integration tests: /sim/stats as JSON, and polling for a state with a
// generous deadline (the deadline only fails a hung test; no assertion depends on how long it took).
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "support/http_client.hpp"

namespace corral::testing {

inline boost::json::object sim_stats(const std::string& address) {
  return boost::json::parse(http_get(address, "/sim/stats").body).as_object();
}

inline std::int64_t stat(const std::string& address, const char* key) {
  return sim_stats(address).at(key).as_int64();
}

/// Polls `pred` until it holds; false when 20 s pass first.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace corral::testing
