#include "models/model_poller.hpp"

#include "models/model_catalog.hpp"
#include "upstream/http_get.hpp"

namespace corral::models {

void ModelPoller::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

net::awaitable<void> ModelPoller::run() {
  timer_ = std::make_unique<SteadyTimer>(co_await net::this_coro::executor);
  while (!stopped_) {
    const auto snap = registry_.current();
    for (const auto& b : snap->backends) {
      if (stopped_) co_return;
      if (!b->healthy.load(std::memory_order_relaxed)) {
        // A down backend serves nothing: forget what it had loaded (requests still running there keep
        // their model), so a load marked before it went down cannot stay "loading" forever.
        b->catalog.apply_ps({}, upstream::steady_ns());
        continue;
      }
      std::string tags_target = "/api/tags";  // named values: no temporaries in a co_await expression (GCC 12)
      auto tags = co_await upstream::http_get(pool_, b, std::move(tags_target), snap->config->health.timeout);
      if (tags && tags->status == 200) b->catalog.apply_tags(models_in_listing(tags->body));
      std::string ps_target = "/api/ps";
      auto ps = co_await upstream::http_get(pool_, b, std::move(ps_target), snap->config->health.timeout);
      if (ps && ps->status == 200) b->catalog.apply_ps(models_in_listing(ps->body), upstream::steady_ns());
    }
    const bool prewarmed = lifecycle_.tick(snap, upstream::steady_ns(), co_await net::this_coro::executor);
    if (prewarmed) polled_.store(true, std::memory_order_relaxed);
    timer_->expires_after(snap->config->models_poll_interval);
    co_await timer_->async_wait();
  }
}

}  // namespace corral::models
