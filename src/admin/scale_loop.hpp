// Runs the ScaleAdvisor (metrics/scale_advisor.hpp) for the gateway: every kInterval on the control
// thread, and when /corral/api/scale is asked (posted to the control thread, since the advisor is not
// thread-safe), it feeds each pool's signal, publishes ollama_gateway_recommended_workers{pool} and
// returns the recommendation as JSON. The signal is the pool's configured workers, its admission queue
// and its fullest worker's VRAM ratio (upstream::vram_view: the agent's reading, else the configured
// `vram` against the models loaded there; workers with unknown VRAM do not count).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "metrics/scale_advisor.hpp"
#include "gateway/gateway_state.hpp"

namespace corral::admin {

class ScaleLoop final {
 public:
  /// The seed's cadence (15 s): often enough for an HPA, rare enough to be free.
  static constexpr std::chrono::seconds kInterval{15};

  explicit ScaleLoop(gateway::GatewayState& gw) : gw_(gw) {}

  /// One observation of every pool now; returns `{"pools":[...]}` (docs/observability.md). Control thread.
  std::string evaluate();
  /// Evaluates every kInterval until stop(). Control thread.
  net::awaitable<void> run();
  void stop();

 private:
  gateway::GatewayState& gw_;
  metrics::ScaleAdvisor advisor_;
  std::unique_ptr<SteadyTimer> timer_;
  bool stopped_ = false;
};

}  // namespace corral::admin
