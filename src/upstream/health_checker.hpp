// Active health checks on the control thread: every health.interval, one GET health.path per backend
// (in parallel, on the control thread's keep-alive pool, each within health.timeout); any 2xx passes.
// HealthState applies rise/fall; a transition flips Backend::healthy (read by the workers), is logged,
// and kicks the admission queues so waiters re-pick (or fail at once when nothing is left). Also sweeps
// passive ejections that have run out. Readiness: set after the first round when some pool has a
// healthy backend.
#pragma once

#include <atomic>
#include <functional>

#include "admission/admission_controller.hpp"
#include "common/asio.hpp"
#include "upstream/backend_registry.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::upstream {

class HealthChecker final {
 public:
  HealthChecker(BackendRegistry& registry, admission::AdmissionController& admission, ConnectionPool& pool,
                std::atomic<bool>& ready);

  /// Probe rounds until stop(). Control thread.
  net::awaitable<void> run();
  /// Ejection sweep (every 100 ms) until stop(). Control thread.
  net::awaitable<void> sweep_ejections();
  void stop();

 private:
  net::awaitable<void> round();

  BackendRegistry& registry_;
  admission::AdmissionController& admission_;
  ConnectionPool& pool_;
  std::atomic<bool>& ready_;
  bool stopped_ = false;
  std::unique_ptr<SteadyTimer> timer_;
  std::unique_ptr<SteadyTimer> sweep_timer_;
};

}  // namespace corral::upstream
