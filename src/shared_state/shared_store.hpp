// State shared by gateway replicas through Redis: rate-limit buckets and session-affinity entries. This
// class owns the only Redis connection and a dedicated Redis thread that runs every hiredis call; workers
// never touch hiredis and never block: they post a job and co_await the answer for at most
// `redis.timeout`, then fall back (local buckets when failing open, a refusal when failing closed; no
// shared affinity -> the caller's local table). While Redis is down, calls fall back at once without
// posting. The Redis thread reconnects with exponential backoff and sharing resumes by itself. Every
// fallback is counted (stats()) and each up/down transition is logged once. decide() also counts every
// refusal by bucket (rate_limit_counts.hpp).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/experimental/concurrent_channel.hpp>

#include "ratelimit/rate_limiter.hpp"
#include "common/asio.hpp"
#include "config/redis_config.hpp"
#include "shared_state/redis_connection.hpp"

namespace corral::shared_state {

class SharedStore final {
 public:
  /// Throws std::invalid_argument when `config.url` does not parse. `local` is the fallback limiter (the
  /// same one the gateway uses without Redis); it must outlive nothing here, it is shared.
  SharedStore(config::RedisConfig config, std::shared_ptr<ratelimit::LocalRateLimiter> local);
  /// Stops the Redis thread (stop()).
  ~SharedStore();
  SharedStore(const SharedStore&) = delete;
  SharedStore& operator=(const SharedStore&) = delete;

  /// Starts the Redis thread, which connects at once. Call once, from the control thread.
  void start();
  /// Stops and joins the Redis thread; later calls fall back locally. Idempotent. Callers suspended in
  /// apply()/get_affinity() resume through their deadline.
  void stop();

  /// The shared decision for `ops` (same semantics as LocalRateLimiter::apply). Completes on the caller's
  /// executor, after at most `redis.timeout` plus scheduling. `degraded` is set on a fallback answer.
  /// The store must outlive the call (the gateway holds it for the process's life).
  [[nodiscard]] net::awaitable<ratelimit::RateDecision> apply(std::vector<ratelimit::BucketOp> ops);

  /// Charges generated tokens (kCharge ops) without waiting: to Redis when connected, else locally (also
  /// locally when the Redis call fails later).
  void charge(std::vector<ratelimit::BucketOp> ops);

  /// The backend recorded for affinity `key` by any replica, or nullopt (none, or Redis unavailable within
  /// the deadline: use the local affinity table). Completes on the caller's executor.
  [[nodiscard]] net::awaitable<std::optional<std::string>> get_affinity(std::string key);
  /// Records `key -> backend` for `ttl` (fire and forget; dropped while Redis is down).
  void set_affinity(std::string key, std::string backend, std::chrono::milliseconds ttl);

  /// Connected to Redis right now (decisions are shared).
  [[nodiscard]] bool connected() const { return connected_.load(std::memory_order_acquire); }

  struct Stats {
    std::uint64_t shared_decisions = 0;    ///< apply() answered by Redis
    std::uint64_t degraded_decisions = 0;  ///< apply() answered by the fallback (all causes below)
    std::uint64_t fail_open = 0;           ///< of those, decided by the local buckets (fail_mode open)
    std::uint64_t timeouts = 0;            ///< waited `timeout` without an answer
    std::uint64_t overloaded = 0;          ///< more than `max_pending` jobs queued
    std::uint64_t errors = 0;              ///< error replies (script errors, READONLY, OOM...)
    std::uint64_t connects = 0;            ///< successful (re)connections
    std::uint64_t disconnects = 0;         ///< connection losses and failed first connections
  };
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] const config::RedisConfig& config() const { return config_; }

  /// With or without Redis: `store` (nullable) decides when present, else `local` at steady_now().
  [[nodiscard]] static net::awaitable<ratelimit::RateDecision> decide(SharedStore* store, ratelimit::LocalRateLimiter& local,
                                                                 std::vector<ratelimit::BucketOp> ops);

 private:
  template <class T>
  using Channel = net::experimental::concurrent_channel<void(error_code, T)>;

  template <class T>
  net::awaitable<std::optional<T>> ask(const std::function<std::optional<T>()>& job);
  void post_job(std::function<void()> job);

  // Redis thread only.
  void try_connect();
  void on_disconnected(const std::string& reason);
  void schedule_reconnect();
  std::optional<ratelimit::RateDecision> run_script(const std::vector<ratelimit::BucketOp>& ops, std::string& error);

  ratelimit::RateDecision fallback(const std::vector<ratelimit::BucketOp>& ops);

  config::RedisConfig config_;
  config::RedisEndpoint endpoint_;
  std::shared_ptr<ratelimit::LocalRateLimiter> local_;

  net::io_context redis_ctx_{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopped_{true};
  std::atomic<std::size_t> pending_{0};

  // Redis thread only.
  RedisConnection conn_;
  net::steady_timer reconnect_timer_{redis_ctx_};
  std::chrono::milliseconds backoff_{0};
  enum class Logged : std::uint8_t { kNothing, kUp, kDown } logged_ = Logged::kNothing;

  struct Counters {
    std::atomic<std::uint64_t> shared{0}, degraded{0}, fail_open{0}, timeouts{0}, overloaded{0}, errors{0},
        connects{0}, disconnects{0};
  };
  Counters counters_;
};

}  // namespace corral::shared_state
