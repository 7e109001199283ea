// Keeps each backend's ModelCatalog in step with what it really holds: every models_poll_interval, on
// the control thread, GET /api/ps from every healthy backend (keep-alive pool) and replace its warm set.
// Traffic marks models warm in between (proxy handler), so the poller mostly confirms and forgets.
#pragma once

#include "common/asio.hpp"
#include "upstream/backend_registry.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::models {

class ModelPoller final {
 public:
  ModelPoller(upstream::BackendRegistry& registry, upstream::ConnectionPool& pool)
      : registry_(registry), pool_(pool) {}

  /// Polls until stop(). Control thread.
  net::awaitable<void> run();
  void stop();

 private:
  upstream::BackendRegistry& registry_;
  upstream::ConnectionPool& pool_;
  bool stopped_ = false;
  std::unique_ptr<SteadyTimer> timer_;
};

}  // namespace corral::models
