// The simulator's network side: the acceptor, one coroutine per connection (read a request, route it,
// answer, loop while keep-alive), gin's routing rules (404 and 405 texts, trailing-slash redirects), the
// /sim/* control endpoints, and the keep-alive expiry timer. Connections run on their own strand when
// --threads > 1; the shared state is SimState's.
#pragma once

#include <memory>

#include "common/asio.hpp"
#include "sim/sim_context.hpp"

namespace corral::sim {

class SimServer final {
 public:
  /// Binds `endpoint` (throws on failure, e.g. address in use).
  SimServer(net::io_context& io, SimContext& ctx, const tcp::endpoint& endpoint);

  [[nodiscard]] tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  /// Starts accepting and the expiry timer.
  void start();

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> expiry_loop();

  net::io_context& io_;
  SimContext& ctx_;
  tcp::acceptor acceptor_;
  net::strand<net::io_context::executor_type> timer_strand_;
  std::shared_ptr<SteadyTimer> expiry_timer_;
  TimePoint armed_ = TimePoint::max();
};

}  // namespace corral::sim
