#include "admin/scale_loop.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace corral::admin {
namespace {

// The pool's fullest worker, used/total VRAM (0..1), over the workers whose VRAM is known (the agent's
// reading, else the configured `vram` and the models loaded there); 0 when none is known.
double max_vram_ratio(const upstream::PoolState& pool) {
  double ratio = 0;
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const auto* cfg = i < pool.config->backends.size() ? &pool.config->backends[i] : nullptr;
    const upstream::VramView v = upstream::vram_view(*pool.members[i]->backend, cfg);
    if (!v.total || *v.total == 0 || !v.used) continue;
    ratio = std::max(ratio, static_cast<double>(*v.used) / static_cast<double>(*v.total));
  }
  return std::min(ratio, 1.0);
}

}  // namespace

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
    signal.max_vram_ratio = max_vram_ratio(pool);
    const auto r = advisor_.observe(pool.config->name, signal, now);
    if (ids_current) gw_.metrics.set_recommended_workers(ids->pool(static_cast<std::int32_t>(p)), r.recommended);
    pools.push_back(boost::json::object{{"name", pool.config->name},
                                        {"workers", signal.workers},
                                        {"queued", pool.queue->depth()},
                                        {"max_vram_ratio", signal.max_vram_ratio},
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
