// Keeps each backend's upstream::ModelCatalog in step with what it really holds: every models_poll_interval, on
// the control thread, GET /api/tags (models on disk) and /api/ps (models loaded) from every healthy
// backend (keep-alive pool) and replace its inventory and warm set. Traffic marks models warm in between
// (proxy handler), so the poller mostly confirms and forgets. `polled` is set after the first round
// (/readyz waits for it, so a ready gateway never sends a model to a backend that lacks it) and every
// prewarm model is loaded somewhere; after each round the lifecycle (prewarm, idle unload) runs. A backend
// with an `agent` also has its agent's /agent/api/gpus read each round (upstream/agent_reading.hpp), healthy
// or not, so its VRAM numbers are current for placement, the status page and the scale advisor.
#pragma once

#include <atomic>

#include "common/asio.hpp"
#include "models/model_lifecycle.hpp"
#include "upstream/backend_registry.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::models {

class ModelPoller final {
 public:
  /// `metrics` (optional) counts the loads the lifecycle starts (ollama_model_load_duration_seconds).
  ModelPoller(upstream::BackendRegistry& registry, upstream::ConnectionPool& pool, std::atomic<bool>& polled,
              metrics::CorralMetrics* metrics = nullptr)
      : registry_(registry), pool_(pool), polled_(polled), lifecycle_(metrics) {}

  /// Polls until stop(). Control thread.
  net::awaitable<void> run();
  void stop();

 private:
  upstream::BackendRegistry& registry_;
  upstream::ConnectionPool& pool_;
  std::atomic<bool>& polled_;
  bool stopped_ = false;
  std::unique_ptr<SteadyTimer> timer_;
  ModelLifecycle lifecycle_;
};

}  // namespace corral::models
