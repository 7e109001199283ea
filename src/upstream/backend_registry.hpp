// The gateway's published state: one immutable Snapshot per applied configuration (pools with their
// members, policies and queues, the model matcher, the access policy, the retry budget and affinity
// table), rebuilt on the
// control thread and swapped atomically (Pingora: rebuild, then swap). Workers load it once per request
// and never lock. Backend objects, with their slots, health and warm models, carry over from one snapshot
// to the next by (pool, url); per-configuration pieces (weights, outlier detectors) are rebuilt.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admission/admission_controller.hpp"
#include "admission/retry_budget.hpp"
#include "auth/access_policy.hpp"
#include "config/config.hpp"
#include "lb/affinity_table.hpp"
#include "lb/policy.hpp"
#include "routing/model_matcher.hpp"
#include "upstream/backend.hpp"
#include "upstream/outlier_detector.hpp"

namespace corral::upstream {

/// A backend as a member of one pool under one configuration.
struct PoolMember {
  PoolMember(std::shared_ptr<Backend> b, std::uint32_t w, const config::OutlierConfig& outlier,
             std::shared_ptr<EjectionBudget> budget)
      : backend(std::move(b)), weight(w), detector(outlier, std::move(budget)) {}

  std::shared_ptr<Backend> backend;
  std::uint32_t weight;
  OutlierDetector detector;  ///< passive ejection (own mutex; reports come from every worker)
  /// Steady-clock nanoseconds until which the member is ejected (0 = not): the lock-free read of the
  /// detector's state on the pick path. Set by the worker whose report ejected it, cleared by the
  /// control thread's ejection sweep.
  std::atomic<std::int64_t> ejected_until_ns{0};
  /// A failure was reported since the last success: successes are reported only then, so the common
  /// case takes no lock.
  std::atomic<bool> failing{false};

  /// Healthy by active checks and not ejected at `now_ns` (steady clock).
  [[nodiscard]] bool eligible(std::int64_t now_ns) const {
    return backend->healthy.load(std::memory_order_relaxed) &&
           ejected_until_ns.load(std::memory_order_relaxed) <= now_ns;
  }
};

struct PoolState {
  const config::PoolConfig* config = nullptr;  ///< points into Snapshot::config
  std::vector<std::unique_ptr<PoolMember>> members;
  std::vector<std::shared_ptr<admission::Slots>> slots;  ///< members[i]->backend->slots
  std::shared_ptr<lb::Policy> policy;
  std::shared_ptr<admission::PoolQueue> queue;
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  routing::ModelMatcher matcher;
  /// Keys, trusted proxies and `matcher` for the gatekeeper (access_policy_of hands it out).
  auth::AccessPolicy access;
  std::vector<PoolState> pools;
  std::shared_ptr<admission::RetryBudget> retry_budget;
  std::shared_ptr<lb::AffinityTable> affinity;  ///< null when `affinity` is not configured
  std::vector<std::shared_ptr<Backend>> backends;  ///< every backend of every pool, once
  std::uint64_t generation = 0;

  /// Throws when the configuration's keys or CIDRs are invalid (auth::AccessPolicy).
  explicit Snapshot(std::shared_ptr<const config::Config> c) : config(c), matcher(*c), access(*c, matcher) {}

  /// Whether some backend here has the model (routing key hash) for real: loaded (by /api/ps, or a request
  /// it answered with 200) or on its disk with a size (/api/tags, while its inventory lists it). A
  /// model a pick merely tried to place, for a name no backend knows, is none of these. Any thread; no
  /// lock, no allocation.
  [[nodiscard]] bool has_model(std::uint64_t model_hash) const;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

/// The snapshot's access policy, as a pointer that keeps the whole snapshot alive (no allocation).
[[nodiscard]] inline std::shared_ptr<const auth::AccessPolicy> access_policy_of(const SnapshotPtr& snapshot) {
  return {snapshot, &snapshot->access};
}

class BackendRegistry final {
 public:
  /// Builds and publishes the first snapshot (control thread; may throw on impossible input).
  BackendRegistry(const config::Config& config, admission::AdmissionController& admission);

  /// The current snapshot. Any thread; lock-free for readers of the pointer.
  [[nodiscard]] SnapshotPtr current() const { return current_.load(std::memory_order_acquire); }

  /// Builds a snapshot for `config` (reusing Backend objects by (pool, url)), reconfigures the admission
  /// queues and publishes it. Control thread only. In-flight requests keep the snapshot they loaded.
  /// Throws, with nothing changed, on keys or CIDRs the loader would have refused.
  void apply(const config::Config& config);

 private:
  void fill(Snapshot& snap, const Snapshot* previous);

  admission::AdmissionController& admission_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::uint64_t generation_ = 0;
};

/// Steady-clock nanoseconds now (the unit of PoolMember::ejected_until_ns).
[[nodiscard]] inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace corral::upstream
