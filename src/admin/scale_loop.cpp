#include "admin/scale_loop.hpp"

#include <boost/json.hpp>

namespace corral::admin {

std::string ScaleLoop::evaluate() {
  const auto snap = gw_.registry.current();
  const auto ids = gw_.metric_ids.load();
  const bool ids_current = ids && ids->generation == snap->generation;
  const auto now = metrics::ScaleAdvisor::Clock::now();
  boost::json::array pools;
  for (std::size_t p = 0; p < snap->pools.size(); ++p) {
    const auto& pool = snap->pools[p];
    metrics::PoolSignal signal;
    signal.workers = static_cast<int>(pool.members.size());
    signal.queued = static_cast<double>(pool.queue->depth());
    const auto r = advisor_.observe(pool.config->name, signal, now);
    if (ids_current) gw_.metrics.set_recommended_workers(ids->pool(static_cast<std::int32_t>(p)), r.recommended);
    pools.push_back(boost::json::object{{"name", pool.config->name},
                                        {"workers", signal.workers},
                                        {"queued", pool.queue->depth()},
                                        {"recommended", r.recommended},
                                        {"direction", metrics::to_string(r.direction)},
                                        {"reason", r.reason}});
  }
  return boost::json::serialize(boost::json::object{{"pools", std::move(pools)}});
}

net::awaitable<void> ScaleLoop::run() {
  timer_ = std::make_unique<SteadyTimer>(co_await net::this_coro::executor);
  while (!stopped_) {
    (void)evaluate();
    timer_->expires_after(kInterval);
    auto [ec] = co_await timer_->async_wait();
    if (ec) break;
  }
}

void ScaleLoop::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

}  // namespace corral::admin
