#include "models/model_poller.hpp"

#include "lb/hash.hpp"
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
      if (!b->healthy.load(std::memory_order_relaxed)) continue;
      std::string target = "/api/ps";  // a named value: no temporaries in a co_await expression (GCC 12)
      auto res = co_await upstream::http_get(pool_, b, std::move(target), snap->config->health.timeout);
      if (!res || res->status != 200) continue;
      std::vector<std::uint64_t> hashes;
      for (const auto& key : model_keys_in_listing(res->body)) hashes.push_back(lb::hash_key(key));
      b->catalog.replace(std::move(hashes));
    }
    timer_->expires_after(snap->config->models_poll_interval);
    co_await timer_->async_wait();
  }
}

}  // namespace corral::models
