#include "shared_state/shared_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>


#include "common/clock.hpp"
#include "shared_state/rate_limit_counts.hpp"
#include "shared_state/rate_limit_script.hpp"

namespace corral::shared_state {
namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

bool any_enabled(const std::vector<ratelimit::BucketOp>& ops) {
  return std::any_of(ops.begin(), ops.end(), [](const ratelimit::BucketOp& op) { return op.limit.enabled(); });
}

}  // namespace

SharedStore::SharedStore(config::RedisConfig config, std::shared_ptr<ratelimit::LocalRateLimiter> local)
    : config_(std::move(config)), local_(std::move(local)) {
  std::string error;
  auto ep = config::parse_redis_url(config_.url, error);
  if (!ep) throw std::invalid_argument(error);
  endpoint_ = std::move(*ep);
  if (!local_) local_ = std::make_shared<ratelimit::LocalRateLimiter>();
}

SharedStore::~SharedStore() { stop(); }

void SharedStore::start() {
  if (thread_.joinable()) return;
  stopped_.store(false);
  work_.emplace(redis_ctx_.get_executor());
  net::post(redis_ctx_, [this] { try_connect(); });
  thread_ = std::thread([this] { redis_ctx_.run(); });
}

void SharedStore::stop() {
  if (!thread_.joinable()) return;
  stopped_.store(true);
  connected_.store(false, std::memory_order_release);
  net::post(redis_ctx_, [this] {
    reconnect_timer_.cancel();
    conn_.close();
  });
  work_.reset();
  redis_ctx_.stop();
  thread_.join();
  conn_.close();
}

SharedStore::Stats SharedStore::stats() const {
  Stats s;
  s.shared_decisions = counters_.shared.load(std::memory_order_relaxed);
  s.degraded_decisions = counters_.degraded.load(std::memory_order_relaxed);
  s.fail_open = counters_.fail_open.load(std::memory_order_relaxed);
  s.timeouts = counters_.timeouts.load(std::memory_order_relaxed);
  s.overloaded = counters_.overloaded.load(std::memory_order_relaxed);
  s.errors = counters_.errors.load(std::memory_order_relaxed);
  s.connects = counters_.connects.load(std::memory_order_relaxed);
  s.disconnects = counters_.disconnects.load(std::memory_order_relaxed);
  return s;
}

// ---- Redis thread -------------------------------------------------------------------------------------

void SharedStore::try_connect() {
  if (stopped_.load()) return;
  std::string error;
  if (conn_.connect(endpoint_, config_.connect_timeout, config_.command_timeout, error)) {
    backoff_ = std::chrono::milliseconds{0};
    counters_.connects.fetch_add(1, std::memory_order_relaxed);
    connected_.store(true, std::memory_order_release);
    if (logged_ != Logged::kUp) {
      spdlog::info("redis: connected to {}, rate limits and affinity are shared", config_.url);
      logged_ = Logged::kUp;
    }
    return;
  }
  on_disconnected(error);
}

void SharedStore::on_disconnected(const std::string& reason) {
  conn_.close();
  connected_.store(false, std::memory_order_release);
  counters_.disconnects.fetch_add(1, std::memory_order_relaxed);
  if (logged_ != Logged::kDown) {
    spdlog::warn("redis: unavailable ({}); rate limits are {} until it returns", reason,
                 config_.fail_mode == config::FailMode::kOpen ? "per replica (fail open)" : "refusing (fail closed)");
    logged_ = Logged::kDown;
  }
  schedule_reconnect();
}

void SharedStore::schedule_reconnect() {
  if (stopped_.load()) return;
  backoff_ = backoff_.count() == 0 ? config_.reconnect_min : std::min(backoff_ * 2, config_.reconnect_max);
  reconnect_timer_.expires_after(backoff_);
  reconnect_timer_.async_wait([this](error_code ec) {
    if (!ec) try_connect();
  });
}

std::optional<ratelimit::RateDecision> SharedStore::run_script(const std::vector<ratelimit::BucketOp>& ops,
                                                          std::string& error) {
  if (!conn_.connected()) {
    error = "not connected";
    return std::nullopt;
  }
  std::vector<std::size_t> index_map;
  RedisReply reply;
  if (!conn_.command(rate_limit_argv(ops, config_.key_prefix, false, index_map), reply, error)) {
    on_disconnected(error);
    return std::nullopt;
  }
  if (is_noscript(reply) &&
      !conn_.command(rate_limit_argv(ops, config_.key_prefix, true, index_map), reply, error)) {
    on_disconnected(error);
    return std::nullopt;
  }
  if (reply.is_error()) {
    counters_.errors.fetch_add(1, std::memory_order_relaxed);
    error = reply.str;
    spdlog::debug("redis: rate limit script failed: {}", reply.str);
    return std::nullopt;
  }
  auto decision = decode_rate_limit_reply(reply, index_map);
  if (!decision) counters_.errors.fetch_add(1, std::memory_order_relaxed);
  return decision;
}

// ---- worker side --------------------------------------------------------------------------------------

void SharedStore::post_job(std::function<void()> job) {
  pending_.fetch_add(1, std::memory_order_relaxed);
  net::post(redis_ctx_, [this, job = std::move(job)] {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    job();
  });
}

// Posts `fn` (run on the Redis thread, returning optional<T>) and waits for its answer on the caller's
// executor for at most config_.timeout. nullopt: no answer (down, overloaded, timed out, failed).
// `job` is taken by reference and must be a named local of the caller: GCC 12 destroys lambda temporaries
// that appear inside a co_await expression twice (the "free(): invalid pointer" this file once crashed on).
template <class T>
net::awaitable<std::optional<T>> SharedStore::ask(const std::function<std::optional<T>()>& job) {
  if (!connected()) co_return std::nullopt;
  if (pending_.load(std::memory_order_relaxed) >= config_.max_pending) {
    counters_.overloaded.fetch_add(1, std::memory_order_relaxed);
    co_return std::nullopt;
  }
  const auto ex = co_await net::this_coro::executor;
  // One capacity-1 channel receives whichever comes first: the answer (from the Redis thread) or the
  // deadline (from a timer on the caller's executor). The loser's send lands in the buffer or fails, and
  // is dropped with the channel. (Not `answer || timer`: Boost 1.81's awaitable operators crash when
  // the operands complete from different threads.)
  auto channel = std::make_shared<Channel<std::optional<T>>>(ex, 1);
  std::function<void()> posted = [channel, job]() {
    if (!channel->is_open()) return;  // the caller stopped waiting: skip the work
    channel->try_send(error_code{}, job());
  };
  post_job(std::move(posted));
  net::steady_timer deadline(ex, config_.timeout);
  deadline.async_wait([channel](error_code ec) {
    if (!ec) channel->try_send(net::error::timed_out, std::nullopt);
  });
  auto [ec, value] = co_await channel->async_receive(kTuple);
  channel->close();
  deadline.cancel();
  if (ec == net::error::timed_out) {
    counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
    co_return std::nullopt;
  }
  if (ec) co_return std::nullopt;
  co_return std::move(value);
}

ratelimit::RateDecision SharedStore::fallback(const std::vector<ratelimit::BucketOp>& ops) {
  counters_.degraded.fetch_add(1, std::memory_order_relaxed);
  ratelimit::RateDecision d;
  if (config_.fail_mode == config::FailMode::kClosed) {
    d.allowed = false;
    d.retry_after = std::chrono::seconds{1};
  } else {
    counters_.fail_open.fetch_add(1, std::memory_order_relaxed);
    d = local_->apply(ops, steady_now());
  }
  d.degraded = true;
  return d;
}

net::awaitable<ratelimit::RateDecision> SharedStore::apply(std::vector<ratelimit::BucketOp> ops) {
  if (!any_enabled(ops)) co_return ratelimit::RateDecision{};
  auto shared_ops = std::make_shared<const std::vector<ratelimit::BucketOp>>(std::move(ops));
  const std::function<std::optional<ratelimit::RateDecision>()> job = [this, shared_ops] {
    std::string error;
    return run_script(*shared_ops, error);
  };
  auto answer = co_await ask<ratelimit::RateDecision>(job);
  if (answer) counters_.shared.fetch_add(1, std::memory_order_relaxed);
  const ratelimit::RateDecision d = answer ? *answer : fallback(*shared_ops);
  count_refusal(*shared_ops, d);
  co_return d;
}

void SharedStore::charge(std::vector<ratelimit::BucketOp> ops) {
  if (!any_enabled(ops)) return;
  if (!connected() || pending_.load(std::memory_order_relaxed) >= config_.max_pending) {
    (void)local_->apply(ops, steady_now());
    return;
  }
  post_job([this, ops = std::move(ops)] {
    std::string error;
    if (!run_script(ops, error)) (void)local_->apply(ops, steady_now());
  });
}

net::awaitable<std::optional<std::string>> SharedStore::get_affinity(std::string key) {
  const std::function<std::optional<std::optional<std::string>>()> job = [this, key = std::move(key)]() {
    std::optional<std::optional<std::string>> out;
    if (!conn_.connected()) return out;
    RedisReply reply;
    std::string error;
    if (!conn_.command({"GET", config_.key_prefix + "aff:" + key}, reply, error)) {
      on_disconnected(error);
      return out;
    }
    if (reply.type == RedisReply::Type::kString) {
      out.emplace(std::move(reply.str));
    } else if (reply.type == RedisReply::Type::kNil) {
      out.emplace(std::nullopt);
    } else {
      counters_.errors.fetch_add(1, std::memory_order_relaxed);
    }
    return out;
  };
  auto answer = co_await ask<std::optional<std::string>>(job);
  if (!answer) co_return std::nullopt;
  co_return std::move(*answer);
}

void SharedStore::set_affinity(std::string key, std::string backend, std::chrono::milliseconds ttl) {
  if (!connected() || pending_.load(std::memory_order_relaxed) >= config_.max_pending) return;
  post_job([this, key = std::move(key), backend = std::move(backend), ttl] {
    if (!conn_.connected()) return;
    RedisReply reply;
    std::string error;
    if (!conn_.command({"SET", config_.key_prefix + "aff:" + key, backend, "PX",
                        std::to_string(std::max<long long>(1, ttl.count()))},
                       reply, error)) {
      on_disconnected(error);
    } else if (reply.is_error()) {
      counters_.errors.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

net::awaitable<ratelimit::RateDecision> SharedStore::decide(SharedStore* store, ratelimit::LocalRateLimiter& local,
                                                       std::vector<ratelimit::BucketOp> ops) {
  if (store != nullptr) {
    auto applying = store->apply(std::move(ops));  // named: see ask() on GCC 12 and co_await temporaries
    co_return co_await std::move(applying);
  }
  const ratelimit::RateDecision d = local.apply(ops, steady_now());
  count_refusal(ops, d);
  co_return d;
}

}  // namespace corral::shared_state
