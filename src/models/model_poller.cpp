#include "models/model_poller.hpp"

#include "upstream/model_catalog.hpp"
#include "upstream/http_get.hpp"

#include "common/log.hpp"

namespace corral::models {
namespace {

// One read of `b`'s agent into its AgentReading; no good answer marks the agent down (the configured
// `vram` applies again). Logged on the transitions only.
net::awaitable<void> poll_agent(upstream::ConnectionPool& pool, std::shared_ptr<upstream::Backend> b,
                                std::chrono::nanoseconds timeout) {
  std::string target = "/agent/api/gpus";
  auto r = co_await upstream::http_get(pool, b->agent, std::move(target), timeout);
  const auto sample = r && r->status == 200 ? upstream::parse_agent_report(r->body) : std::nullopt;
  if (sample) {
    if (b->agent_reading.store(*sample)) log::info("agent of backend {} answers: VRAM from the agent", b->name);
  } else if (b->agent_reading.mark_down()) {
    log::warn("agent of backend {} does not answer (or has no GPU reading): configured vram applies", b->name);
  }
}

}  // namespace

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
      if (b->agent) co_await poll_agent(pool_, b, snap->config->health.timeout);
      if (!b->healthy.load(std::memory_order_relaxed)) {
        // A down backend serves nothing: forget what it had loaded (requests still running there keep
        // their model), so a load marked before it went down cannot stay "loading" forever.
        b->catalog.apply_ps({}, upstream::steady_ns());
        continue;
      }
      std::string tags_target = "/api/tags";  // named values: no temporaries in a co_await expression (GCC 12)
      // A management call (pull, delete...) answered while this request is out may not be in its answer:
      // apply_tags keeps the inventory then, rather than undo that call's update until the next round.
      const std::uint64_t sent_at = b->catalog.inventory_generation();
      auto tags = co_await upstream::http_get(pool_, b, std::move(tags_target), snap->config->health.timeout);
      if (tags && tags->status == 200) (void)b->catalog.apply_tags(upstream::models_in_listing(tags->body), sent_at);
      std::string ps_target = "/api/ps";
      auto ps = co_await upstream::http_get(pool_, b, std::move(ps_target), snap->config->health.timeout);
      if (ps && ps->status == 200) b->catalog.apply_ps(upstream::models_in_listing(ps->body), upstream::steady_ns());
    }
    const bool prewarmed = lifecycle_.tick(snap, upstream::steady_ns(), co_await net::this_coro::executor);
    if (prewarmed) polled_.store(true, std::memory_order_relaxed);
    timer_->expires_after(snap->config->models_poll_interval);
    co_await timer_->async_wait();
  }
}

}  // namespace corral::models
