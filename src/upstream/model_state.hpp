// What Corral believes about one model on one backend, as atomics every thread reads without a lock:
// disk size (/api/tags), whether it is loaded and with how much VRAM (/api/ps, or the traffic that
// loaded it), whether a load Corral caused is under way (single flight), when it was last used, and the
// learned load time. The per-(backend, model) slot counter caps requests at the backend's num_parallel.
// Writers race benignly: the poller's view and the data path's view converge within a poll interval.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "admission/slots.hpp"

namespace corral::upstream {

struct ModelState {
  explicit ModelState(std::string k) : key(std::move(k)) {}

  const std::string key;  ///< normalised model name (routing::model_key)
  std::atomic<std::uint64_t> disk_bytes{0};  ///< size from /api/tags; 0 = unknown
  std::atomic<std::uint64_t> vram_bytes{0};  ///< size_vram from /api/ps; 0 = unknown
  std::atomic<bool> loaded{false};
  /// Steady ns when a request Corral placed started a load here; 0 = no load under way.
  std::atomic<std::int64_t> loading_since_ns{0};
  std::atomic<std::int64_t> loaded_at_ns{0};   ///< steady ns the model became loaded (minimum residency)
  std::atomic<std::int64_t> last_used_ns{0};   ///< steady ns of the last request placed or finished here
  std::atomic<std::int64_t> expires_at_s{0};   ///< Unix seconds Ollama will unload it (/api/ps); 0 = unknown
  std::atomic<std::int64_t> learned_load_ns{0};  ///< smoothed observed load_duration; 0 = none yet
  /// Requests Corral runs for this model here; limit = the backend's num_parallel (set by the pick step).
  const std::shared_ptr<admission::Slots> slots = std::make_shared<admission::Slots>();

  /// Bytes the model takes on the GPU: size_vram when known, else its disk size (Ollama's own first guess).
  [[nodiscard]] std::uint64_t bytes() const {
    const std::uint64_t v = vram_bytes.load(std::memory_order_relaxed);
    return v != 0 ? v : disk_bytes.load(std::memory_order_relaxed);
  }
};

}  // namespace corral::upstream
