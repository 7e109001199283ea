// See pool_queue.hpp for the locking design. The waiter's timer is both its deadline and its wake-up:
// a grant stores the outcome under mu_ and then, on the waiter's executor, moves the timer's expiry to the
// distant past, which completes a pending wait (operation_aborted) or makes a later one complete at once.
// On waking, the outcome decides: present = granted or failed; absent = deadline (success) or the
// coroutine's own cancellation (operation_aborted, or an exception from a cancelled co_await).
#include "admission/pool_queue.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace corral::admission {

struct PoolQueue::Waiter {
  Waiter(const net::any_io_executor& ex, TryPick pick) : executor(ex), timer(ex), try_pick(std::move(pick)) {}

  net::any_io_executor executor;
  SteadyTimer timer;  // touched only on `executor`
  TryPick try_pick;   // immutable after construction
  // Guarded by PoolQueue::mu_:
  bool done = false;  // no longer in waiters_ (granted, failed, timed out or cancelled)
  std::optional<std::variant<Lease, AdmitError>> outcome;
  std::list<WaiterPtr>::iterator pos;
};

PoolQueue::PoolQueue(std::size_t max_length, std::chrono::nanoseconds timeout)
    : max_length_(max_length), timeout_(timeout) {}

PoolQueue::~PoolQueue() = default;

Lease PoolQueue::try_acquire(std::uint32_t backend, std::shared_ptr<Slots> slots) {
  if (!slots || !slots->try_take()) return {};
  return Lease(backend, std::move(slots), shared_from_this());
}

Lease PoolQueue::try_acquire(std::uint32_t backend, std::shared_ptr<Slots> slots, std::shared_ptr<Slots> model_slots) {
  if (!model_slots) return try_acquire(backend, std::move(slots));
  if (!slots || !model_slots->try_take()) return {};
  if (!slots->try_take()) {
    // No kick: the model slot was ours for an instant only, and a kick here could loop with the walker.
    model_slots->give_back();
    return {};
  }
  return Lease(backend, std::move(slots), std::move(model_slots), shared_from_this());
}

void PoolQueue::record_grant() {
  std::lock_guard lock(mu_);
  ++grants_;
  drain_.record(DrainRate::Clock::now());
}

net::awaitable<std::variant<Lease, AdmitError>> PoolQueue::admit(TryPick try_pick) {
  auto self = shared_from_this();
  if (depth() > 0) kick();  // earlier waiters get first go at any free capacity
  {
    Lease lease = try_pick(*this);
    if (lease) {
      record_grant();
      co_return std::move(lease);
    }
    if (lease.no_eligible_backend()) co_return AdmitError::kNoBackend;
  }

  auto waiter = std::make_shared<Waiter>(co_await net::this_coro::executor, std::move(try_pick));
  {
    std::lock_guard lock(mu_);
    if (waiters_.size() >= max_length_) {
      waiter->done = true;
    } else {
      waiter->timer.expires_after(timeout_);
      waiters_.push_back(waiter);
      waiting_.store(waiters_.size(), std::memory_order_relaxed);
      waiter->pos = std::prev(waiters_.end());
    }
  }
  if (waiter->done) co_return AdmitError::kQueueFull;

  // Leaves the queue however this frame ends, also when it is destroyed without resuming.
  struct Leave {
    PoolQueue* queue;
    WaiterPtr waiter;
    ~Leave() {
      std::lock_guard lock(queue->mu_);
      if (!waiter->done) {
        waiter->done = true;
        queue->waiters_.erase(waiter->pos);
        queue->waiting_.store(queue->waiters_.size(), std::memory_order_relaxed);
      }
    }
  } leave{this, waiter};

  // A lease released between the fast path and the enqueue kicked an empty queue: look again.
  kick();

  error_code ec;
  try {
    std::tie(ec) = co_await waiter->timer.async_wait();
  } catch (const boost::system::system_error&) {
    ec = net::error::operation_aborted;  // cancelled before the wait began (throw_if_cancelled)
  }

  std::lock_guard lock(mu_);
  if (waiter->outcome) co_return std::move(*waiter->outcome);
  waiter->done = true;
  waiters_.erase(waiter->pos);
  waiting_.store(waiters_.size(), std::memory_order_relaxed);
  co_return ec == net::error::operation_aborted ? AdmitError::kCancelled : AdmitError::kQueueTimeout;
}

void PoolQueue::finish(const WaiterPtr& waiter, std::variant<Lease, AdmitError> outcome) {
  waiter->outcome = std::move(outcome);
  waiter->done = true;
  waiters_.erase(waiter->pos);
  waiting_.store(waiters_.size(), std::memory_order_relaxed);
  net::post(waiter->executor, [waiter] { waiter->timer.expires_at(SteadyTimer::time_point::min()); });
}

void PoolQueue::kick() {
  {
    std::lock_guard lock(mu_);
    if (kicking_) {
      rekick_ = true;
      return;
    }
    if (waiters_.empty()) return;
    kicking_ = true;
  }
  for (;;) {
    walk_once();
    std::lock_guard lock(mu_);
    if (!rekick_ || waiters_.empty()) {
      kicking_ = false;
      rekick_ = false;
      return;
    }
    rekick_ = false;
  }
}

void PoolQueue::walk_once() {
  {
    std::lock_guard lock(mu_);
    snapshot_.assign(waiters_.begin(), waiters_.end());
  }
  for (const WaiterPtr& waiter : snapshot_) {
    {
      std::lock_guard lock(mu_);
      if (waiter->done) continue;
    }
    Lease lease = waiter->try_pick(*this);
    if (!lease && !lease.no_eligible_backend()) continue;
    std::unique_lock lock(mu_);
    if (waiter->done) continue;  // left meanwhile; `lease` is released after `lock`, kicking again
    if (lease) {
      ++grants_;
      drain_.record(DrainRate::Clock::now());
      finish(waiter, std::move(lease));
    } else {
      finish(waiter, AdmitError::kNoBackend);
    }
  }
  snapshot_.clear();
}

void PoolQueue::fail_all(AdmitError error) {
  std::lock_guard lock(mu_);
  while (!waiters_.empty()) {
    WaiterPtr waiter = waiters_.front();
    finish(waiter, error);
  }
}

void PoolQueue::set_limits(std::size_t max_length, std::chrono::nanoseconds timeout) {
  std::lock_guard lock(mu_);
  max_length_ = max_length;
  timeout_ = timeout;
}

std::size_t PoolQueue::depth() const { return waiting_.load(std::memory_order_relaxed); }

std::uint32_t PoolQueue::retry_after_seconds() const { return retry_after_seconds(DrainRate::Clock::now()); }

std::uint32_t PoolQueue::retry_after_seconds(DrainRate::Clock::time_point now) const {
  constexpr std::uint32_t kMaxSeconds = 300;
  std::lock_guard lock(mu_);
  const auto timeout_s = std::chrono::ceil<std::chrono::seconds>(timeout_).count();
  const auto fallback = static_cast<std::uint32_t>(std::clamp<std::int64_t>(timeout_s, 1, kMaxSeconds));
  return drain_.retry_after_seconds(now, waiters_.size(), fallback, kMaxSeconds);
}

std::uint64_t PoolQueue::grants() const {
  std::lock_guard lock(mu_);
  return grants_;
}

}  // namespace corral::admission
