// State shared by every worker and the control thread: the published snapshot (via the registry), the
// pools' admission queues, and the process-wide flags (ready, draining). Everything here is either
// immutable, atomic, or internally synchronised; workers never lock it. Also the observability sinks
// every request ends in (metrics, access log, recent errors; see accounting.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "observe/recent_errors.hpp"
#include "admission/admission_controller.hpp"
#include "common/asio.hpp"
#include "config/config.hpp"
#include "metrics/corral_metrics.hpp"
#include "observe/access_log.hpp"
#include "gateway/metric_ids.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::shared_state {
class SharedStore;
}

namespace corral::gateway {

struct GatewayState {
  explicit GatewayState(const config::Config& config) : admission(config), registry(config, admission) {}

  admission::AdmissionController admission;
  upstream::BackendRegistry registry;
  /// Session affinity shared with other replicas through Redis; null without `redis`. Owned by
  /// the app (app/server.cpp), which outlives the workers and hands the same store to the Gatekeeper.
  shared_state::SharedStore* shared = nullptr;
  /// Set on SIGTERM: no new connections; responses say `Connection: close`; /readyz answers 503.
  std::atomic<bool> draining{false};
  /// Set after each round of health checks: some backend is healthy.
  std::atomic<bool> ready{false};
  /// Set once every backend's model inventory was polled (or tried) once.
  std::atomic<bool> models_polled{false};

  /// /readyz: health checks found a healthy backend, the model inventory was read, not draining.
  [[nodiscard]] bool is_ready() const { return ready.load() && models_polled.load() && !draining.load(); }
  /// Client connections open now (all workers).
  std::atomic<std::int64_t> connections{0};
  /// The control thread's executor (reloads run there).
  net::any_io_executor control;
  /// Reloads the configuration file (control thread only): nullopt on success, else the error text.
  /// Set by the app; empty in quick mode (nothing to reload).
  std::function<std::optional<std::string>()> reload;
  /// Evaluates the scale advisor and returns /corral/api/scale's JSON (control thread only; set by the app).
  std::function<std::string()> scale;

  /// Every request's counters and histograms (lock-free; ids published in metric_ids).
  metrics::CorralMetrics metrics;
  /// Backend and pool metric ids for the current snapshot (publish_metric_ids, control thread).
  std::atomic<std::shared_ptr<const MetricIds>> metric_ids;
  /// Null when the access log is off. Set before the listeners start; never replaced after.
  std::unique_ptr<observe::AccessLog> access_log;
  observe::RecentErrors recent_errors;
  /// True when an admin listener exists: /metrics then lives only there (docs/observability.md).
  bool admin_listener = false;
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
};

}  // namespace corral::gateway
