#include "upstream/health_checker.hpp"

#include <boost/asio/experimental/parallel_group.hpp>

#include "common/log.hpp"
#include "upstream/http_get.hpp"

namespace corral::upstream {

HealthChecker::HealthChecker(BackendRegistry& registry, admission::AdmissionController& admission,
                             ConnectionPool& pool, std::atomic<bool>& ready)
    : registry_(registry), admission_(admission), pool_(pool), ready_(ready) {}

void HealthChecker::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
  if (sweep_timer_) sweep_timer_->cancel();
}

net::awaitable<void> HealthChecker::run() {
  timer_ = std::make_unique<SteadyTimer>(co_await net::this_coro::executor);
  while (!stopped_) {
    co_await round();
    if (stopped_) break;
    timer_->expires_after(registry_.current()->config->health.interval);
    co_await timer_->async_wait();
  }
}

net::awaitable<void> HealthChecker::round() {
  const auto snap = registry_.current();
  const config::HealthConfig& hc = snap->config->health;
  auto ex = co_await net::this_coro::executor;
  using Op = decltype(net::co_spawn(ex, http_get(pool_, nullptr, std::string(), hc.timeout), net::deferred));
  std::vector<Op> ops;
  ops.reserve(snap->backends.size());
  for (const auto& b : snap->backends) ops.push_back(net::co_spawn(ex, http_get(pool_, b, hc.path, hc.timeout), net::deferred));
  bool changed = false;
  if (!ops.empty()) {
    auto [order, exceptions, results] = co_await net::experimental::make_parallel_group(std::move(ops))
                                            .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    for (std::size_t i = 0; i < snap->backends.size(); ++i) {
      Backend& b = *snap->backends[i];
      const bool ok = !exceptions[i] && results[i] && results[i]->status >= 200 && results[i]->status < 300;
      if (b.health.observe(ok) != HealthTransition::kChanged) continue;
      changed = true;
      b.healthy.store(b.health.healthy(), std::memory_order_relaxed);
      if (b.health.healthy()) {
        log::info("backend {} (pool {}) is healthy again", b.name, b.pool_name);
      } else {
        log::warn("backend {} (pool {}) marked down after {} failed health checks", b.name, b.pool_name, hc.fall);
      }
    }
  }
  if (changed) admission_.kick_all();
  bool any = false;
  for (const auto& b : snap->backends) any = any || b->healthy.load(std::memory_order_relaxed);
  ready_.store(any, std::memory_order_relaxed);
}

net::awaitable<void> HealthChecker::sweep_ejections() {
  sweep_timer_ = std::make_unique<SteadyTimer>(co_await net::this_coro::executor);
  while (!stopped_) {
    sweep_timer_->expires_after(std::chrono::milliseconds(100));
    co_await sweep_timer_->async_wait();
    if (stopped_) break;
    const auto snap = registry_.current();
    const auto now = std::chrono::steady_clock::now();
    bool back = false;
    for (const auto& pool : snap->pools) {
      for (const auto& m : pool.members) {
        if (m->ejected_until_ns.load(std::memory_order_relaxed) == 0) continue;
        if (m->detector.is_ejected(now)) continue;
        m->ejected_until_ns.store(0, std::memory_order_relaxed);
        log::info("backend {} (pool {}) ejection ended", m->backend->name, m->backend->pool_name);
        back = true;
      }
    }
    if (back) admission_.kick_all();
  }
}

}  // namespace corral::upstream
