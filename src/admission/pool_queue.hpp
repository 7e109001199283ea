// A pool's admission: each request either gets a backend slot now or waits in a bounded FIFO with a
// deadline. Capacity appears when a lease is released (or a backend recovers, or a reload adds one) and
// kick() hands it to the waiters in FIFO order. Design (HAProxy src/queue.c style):
//  - mu_ guards waiters_ and the drain-rate estimate; it is never held across a co_await and never
//    while a TryPick runs (a TryPick may drop a Lease, whose release calls kick() again);
//  - at most one thread walks the waiters at a time (kicking_); a kick() that arrives meanwhile sets
//    rekick_ and returns at once, and the walking thread makes one more pass, so no wake-up is lost;
//  - a grant moves the Lease into the waiter and posts to the waiter's own executor; the waiter's timer
//    is set to expire at once there, so the grant cannot be missed whether or not the wait has started.
//
// Typical use on a worker (the TryPick owns everything it touches):
//   TryPick pick = [snapshot, policy, tried, ctx_owned](PoolQueue& q) -> Lease {
//     std::vector<lb::Candidate> c = eligible_candidates(*snapshot, tried);   // healthy, not ejected, free
//     if (no backend of the pool could serve the model at all) return Lease::none_eligible();
//     return pick_and_reserve(q, *policy, c, snapshot->slots, ctx_owned.view());
//   };
//   auto outcome = co_await (queue->admit(std::move(pick)) || client_gone_watch());
// and on reload keep the PoolQueue of a pool name (set_limits), kick() it after publishing the new
// snapshot, and on a backend turning healthy kick() its pool's queue.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "admission/admit_error.hpp"
#include "admission/drain_rate.hpp"
#include "admission/lease.hpp"
#include "admission/model_demand.hpp"
#include "common/asio.hpp"

namespace corral::admission {

class PoolQueue;

/// Tries to choose a backend for this request and take its slot atomically (Slots::try_take on the chosen
/// one; on a lost race it re-picks among the rest; see pick_and_reserve). Called from any thread, sometimes
/// by the thread releasing a lease, so it must be thread-safe and never block. Returns an empty Lease when
/// nothing suitable is free now, or Lease::none_eligible() when nothing could ever serve the request now.
/// It must not call admit() or kick() itself. It may run after admit() returned (a kick that started just
/// before the waiter left), so it must own what it uses (capture by value or shared_ptr, never references to
/// the request's frame). One TryPick object is never called by two threads at once.
using TryPick = std::function<Lease(PoolQueue&)>;

class PoolQueue : public std::enable_shared_from_this<PoolQueue> {
 public:
  /// `max_length` 0 = never queue (busy -> kQueueFull at once). Always create with std::make_shared.
  PoolQueue(std::size_t max_length, std::chrono::nanoseconds timeout);
  ~PoolQueue();
  PoolQueue(const PoolQueue&) = delete;
  PoolQueue& operator=(const PoolQueue&) = delete;

  /// Fast path: try_pick now (after letting earlier waiters go first); else enqueue (FIFO) and wait on the
  /// caller's executor until a lease is granted, the queue timeout passes, or the awaiting coroutine is
  /// cancelled (terminal cancellation via the awaitable's cancellation slot, e.g. `||` against a
  /// client-disconnect watch) — then it is removed from the queue at once. Full queue -> kQueueFull at once.
  /// An empty none_eligible() lease from try_pick -> kNoBackend at once (also while waiting).
  /// The caller's executor must be single-threaded (an io_context run by one thread, or a strand).
  net::awaitable<std::variant<Lease, AdmitError>> admit(TryPick try_pick);

  /// admit()'s fast path on its own, for a caller that builds its TryPick only when it has to wait: when
  /// nobody waits, `pick` (called at once, on this thread, with the same contract as a TryPick apart from
  /// ownership) may take a lease. Returns the grant, kNoBackend, or nullopt: then queue with admit().
  template <class Pick>
  [[nodiscard]] std::optional<std::variant<Lease, AdmitError>> admit_now(Pick&& pick) {
    if (depth() > 0) return std::nullopt;  // earlier waiters go first
    Lease lease = pick(*this);
    if (lease) {
      record_grant();
      return std::variant<Lease, AdmitError>(std::move(lease));
    }
    if (lease.no_eligible_backend()) return std::variant<Lease, AdmitError>(AdmitError::kNoBackend);
    return std::nullopt;
  }

  /// Called when capacity may have appeared (a lease released, a backend became healthy, a reload): walks
  /// waiters in FIFO order calling their TryPick and hands each success to its waiter by posting to the
  /// waiter's executor. Never holds the queue mutex across a co_await or a TryPick. Any thread; never blocks
  /// on another kick (a concurrent call just asks the running one for another pass).
  void kick();

  /// Takes a slot on `backend` if `slots` has one free, as a lease tied to this queue; else an empty lease.
  /// The building block of TryPick implementations.
  [[nodiscard]] Lease try_acquire(std::uint32_t backend, std::shared_ptr<Slots> slots);
  /// Same, taking one slot on `model_slots` as well (both or neither). Null `model_slots` = backend only.
  [[nodiscard]] Lease try_acquire(std::uint32_t backend, std::shared_ptr<Slots> slots,
                                  std::shared_ptr<Slots> model_slots);

  /// Requests per model waiting in this pool, and the lock that makes cold-load decisions one at a time.
  [[nodiscard]] ModelDemand& demand() { return demand_; }

  /// Fails every current waiter with `error` (e.g. kNoBackend when the pool lost its last healthy backend,
  /// kCancelled on shutdown).
  void fail_all(AdmitError error);

  /// New limits for later admits (a reload keeps the same queue per pool name, so waiters stay in order).
  void set_limits(std::size_t max_length, std::chrono::nanoseconds timeout);

  /// Requests waiting now.
  [[nodiscard]] std::size_t depth() const;
  /// Seconds a rejected client should wait, from the measured drain rate (EWMA of grants/s) and depth; >= 1
  /// (the queue timeout, at most 300, before anything was measured).
  [[nodiscard]] std::uint32_t retry_after_seconds() const;
  /// Same at an explicit time (tests).
  [[nodiscard]] std::uint32_t retry_after_seconds(DrainRate::Clock::time_point now) const;
  /// Grants so far (fast path and queued), for metrics and tests.
  [[nodiscard]] std::uint64_t grants() const;

 private:
  struct Waiter;
  using WaiterPtr = std::shared_ptr<Waiter>;

  void walk_once();
  void record_grant();
  void finish(const WaiterPtr& waiter, std::variant<Lease, AdmitError> outcome);  // mu_ held

  mutable std::mutex mu_;
  std::list<WaiterPtr> waiters_;  // FIFO
  // waiters_.size(), written under mu_: depth() is read on every admit, by every worker thread, and must
  // not take the pool's mutex for it (issue 8).
  std::atomic<std::size_t> waiting_{0};
  std::size_t max_length_;
  std::chrono::nanoseconds timeout_;
  DrainRate drain_;
  std::uint64_t grants_ = 0;
  bool kicking_ = false;
  bool rekick_ = false;
  std::vector<WaiterPtr> snapshot_;  // used only by the kicking thread
  ModelDemand demand_;
};

}  // namespace corral::admission
