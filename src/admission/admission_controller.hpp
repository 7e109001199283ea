// The gateway's set of pool queues, one per configured pool, published as an immutable snapshot so
// workers look a queue up without locking. A reload keeps each surviving pool's queue (and its waiters,
// in order) by pool name and applies the new limits; a removed pool's waiters are failed with kNoBackend.
// reconfigure() runs on the control thread; the lookups on any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "admission/pool_queue.hpp"
#include "config/config.hpp"

namespace corral::admission {

class AdmissionController final {
 public:
  explicit AdmissionController(const config::Config& config);

  /// Applies `config` (already validated): see the file comment. Then kicks every queue, since the new
  /// configuration may have added capacity.
  void reconfigure(const config::Config& config);

  /// The queue of pool `pool_index` (index into the pools of the configuration applied last); null when out
  /// of range.
  [[nodiscard]] std::shared_ptr<PoolQueue> queue(std::size_t pool_index) const;
  /// The queue of the pool named `name`; null when there is none.
  [[nodiscard]] std::shared_ptr<PoolQueue> queue(std::string_view name) const;
  /// Kicks every queue (a backend became healthy, an ejection ended).
  void kick_all() const;
  /// Waiting requests over all pools.
  [[nodiscard]] std::size_t total_depth() const;

 private:
  struct Snapshot {
    std::vector<std::string> names;
    std::vector<std::shared_ptr<PoolQueue>> queues;
  };
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

}  // namespace corral::admission
