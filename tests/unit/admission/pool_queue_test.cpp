// Coroutines are driven to completion on test io_contexts; nothing asserts on elapsed time. Deadlines
// exist only where the test is about the deadline (1 ms) or to fail a hung test (minutes).
#include "admission/pool_queue.hpp"

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace corral::admission {
namespace {

using namespace std::chrono_literals;
using Outcome = std::variant<Lease, AdmitError>;

struct Fixture {
  std::shared_ptr<Slots> slots = std::make_shared<Slots>();
  std::shared_ptr<PoolQueue> queue;

  Fixture(std::uint32_t limit, std::size_t max_length, std::chrono::nanoseconds timeout = 10min)
      : queue(std::make_shared<PoolQueue>(max_length, timeout)) {
    slots->limit = limit;
  }

  TryPick picker(std::uint32_t backend = 0) const {
    return [slots = slots, backend](PoolQueue& q) { return q.try_acquire(backend, slots); };
  }
};

// Spawns admit() and stores its outcome in `out`.
void spawn_admit(net::io_context& io, std::shared_ptr<PoolQueue> queue, TryPick pick, std::optional<Outcome>& out) {
  net::co_spawn(io, queue->admit(std::move(pick)), [&out](std::exception_ptr e, Outcome r) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(r));
  });
}

// Runs every ready handler, also after an earlier poll ran out of work and stopped the context.
void drain(net::io_context& io) {
  io.restart();
  io.poll();
}

bool granted(const std::optional<Outcome>& o) { return o && std::holds_alternative<Lease>(*o) && std::get<Lease>(*o); }
std::optional<AdmitError> error_of(const std::optional<Outcome>& o) {
  if (!o || !std::holds_alternative<AdmitError>(*o)) return std::nullopt;
  return std::get<AdmitError>(*o);
}

TEST(PoolQueue, FastPathGrantsAtOnce) {
  net::io_context io;
  Fixture f(2, 4);
  std::optional<Outcome> a, b;
  spawn_admit(io, f.queue, f.picker(), a);
  spawn_admit(io, f.queue, f.picker(), b);
  io.run();
  ASSERT_TRUE(granted(a));
  ASSERT_TRUE(granted(b));
  EXPECT_EQ(f.slots->in_flight, 2U);
  EXPECT_EQ(f.queue->depth(), 0U);
  EXPECT_EQ(f.queue->grants(), 2U);
  a.reset();
  b.reset();
  EXPECT_EQ(f.slots->in_flight, 0U);  // leases gave their slots back
}

TEST(PoolQueue, FullQueueRefusesAtOnce) {
  net::io_context io;
  Fixture f(1, 1);
  Lease held = f.queue->try_acquire(0, f.slots);
  ASSERT_TRUE(held);
  std::optional<Outcome> waiting, refused;
  spawn_admit(io, f.queue, f.picker(), waiting);
  drain(io);
  EXPECT_FALSE(waiting.has_value());
  EXPECT_EQ(f.queue->depth(), 1U);
  spawn_admit(io, f.queue, f.picker(), refused);
  drain(io);
  EXPECT_EQ(error_of(refused), AdmitError::kQueueFull);
  EXPECT_EQ(f.queue->depth(), 1U);
  held.release();
  drain(io);
  EXPECT_TRUE(granted(waiting));

  Fixture never(1, 0);  // max_length 0: never queue
  Lease busy = never.queue->try_acquire(0, never.slots);
  std::optional<Outcome> r;
  spawn_admit(io, never.queue, never.picker(), r);
  io.restart();
  drain(io);
  EXPECT_EQ(error_of(r), AdmitError::kQueueFull);
}

TEST(PoolQueue, DeadlinePassesAndTheWaiterLeaves) {
  net::io_context io;
  Fixture f(1, 8, 1ms);
  Lease held = f.queue->try_acquire(0, f.slots);
  std::optional<Outcome> r;
  spawn_admit(io, f.queue, f.picker(), r);
  io.run();  // returns once the 1 ms deadline fired
  EXPECT_EQ(error_of(r), AdmitError::kQueueTimeout);
  EXPECT_EQ(f.queue->depth(), 0U);
  EXPECT_EQ(f.slots->in_flight, 1U);  // only `held`
}

TEST(PoolQueue, GrantsInFifoOrderOnePerRelease) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  std::vector<std::optional<Outcome>> r(4);
  for (auto& out : r) {
    spawn_admit(io, f.queue, f.picker(), out);
    drain(io);  // enqueue in this order
  }
  ASSERT_EQ(f.queue->depth(), 4U);
  held.release();
  drain(io);
  for (std::size_t i = 0; i < r.size(); ++i) {
    // Exactly the oldest waiter got the one freed slot; everybody else still waits.
    for (std::size_t j = 0; j < r.size(); ++j) {
      if (j < i) continue;
      EXPECT_EQ(r[j].has_value(), j == i) << "after release " << i << ", waiter " << j;
    }
    ASSERT_TRUE(granted(r[i]));
    EXPECT_EQ(f.queue->depth(), r.size() - i - 1);
    EXPECT_EQ(f.slots->in_flight, 1U);
    std::get<Lease>(*r[i]).release();  // wakes the next one
    drain(io);
  }
  EXPECT_EQ(f.slots->in_flight, 0U);
}

TEST(PoolQueue, LaterArrivalsDoNotOvertakeWaiters) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  std::optional<Outcome> first, second;
  spawn_admit(io, f.queue, f.picker(), first);
  drain(io);
  held.release();  // freed slot goes to `first` (granted, not yet resumed) ...
  spawn_admit(io, f.queue, f.picker(), second);  // ... so the newcomer must queue
  drain(io);
  EXPECT_TRUE(granted(first));
  EXPECT_FALSE(second.has_value());
  EXPECT_EQ(f.queue->depth(), 1U);
}

TEST(PoolQueue, CancellationRemovesTheWaiterAtOnce) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  net::cancellation_signal cancel;
  std::optional<Outcome> r, next;
  net::co_spawn(io, f.queue->admit(f.picker()),
                net::bind_cancellation_slot(cancel.slot(), [&r](std::exception_ptr e, Outcome o) {
                  if (e) std::rethrow_exception(e);
                  r.emplace(std::move(o));
                }));
  drain(io);
  spawn_admit(io, f.queue, f.picker(), next);
  drain(io);
  ASSERT_EQ(f.queue->depth(), 2U);
  cancel.emit(net::cancellation_type::terminal);
  drain(io);
  EXPECT_EQ(error_of(r), AdmitError::kCancelled);
  EXPECT_EQ(f.queue->depth(), 1U);
  held.release();
  drain(io);
  EXPECT_TRUE(granted(next));  // the cancelled waiter did not swallow the slot
}

net::awaitable<Outcome> admit_or_client_gone(std::shared_ptr<PoolQueue> queue, TryPick pick) {
  using namespace net::experimental::awaitable_operators;
  SteadyTimer client_gone(co_await net::this_coro::executor);
  client_gone.expires_after(0ms);  // the "client" leaves at once
  auto result = co_await (queue->admit(std::move(pick)) || client_gone.async_wait());
  if (result.index() == 0) co_return std::move(std::get<0>(result));
  co_return AdmitError::kCancelled;
}

TEST(PoolQueue, WorksWithTheOrOperatorAgainstADisconnectWatch) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  std::optional<Outcome> r;
  net::co_spawn(io, admit_or_client_gone(f.queue, f.picker()), [&r](std::exception_ptr e, Outcome o) {
    if (e) std::rethrow_exception(e);
    r.emplace(std::move(o));
  });
  io.run();
  EXPECT_EQ(error_of(r), AdmitError::kCancelled);
  EXPECT_EQ(f.queue->depth(), 0U);
}

TEST(PoolQueue, NoEligibleBackendFailsFastAndFailAllEmptiesTheQueue) {
  net::io_context io;
  Fixture f(1, 8);
  std::optional<Outcome> none;
  spawn_admit(io, f.queue, [](PoolQueue&) { return Lease::none_eligible(); }, none);
  drain(io);
  EXPECT_EQ(error_of(none), AdmitError::kNoBackend);

  Lease held = f.queue->try_acquire(0, f.slots);
  std::optional<Outcome> a, b;
  spawn_admit(io, f.queue, f.picker(), a);
  spawn_admit(io, f.queue, f.picker(), b);
  drain(io);
  ASSERT_EQ(f.queue->depth(), 2U);
  f.queue->fail_all(AdmitError::kNoBackend);
  drain(io);
  EXPECT_EQ(error_of(a), AdmitError::kNoBackend);
  EXPECT_EQ(error_of(b), AdmitError::kNoBackend);
  EXPECT_EQ(f.queue->depth(), 0U);
}

TEST(PoolQueue, AWaiterWhoseBackendsAllDisappearIsFailedOnTheNextKick) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  auto healthy = std::make_shared<std::atomic<bool>>(true);
  std::optional<Outcome> r;
  spawn_admit(io, f.queue, [slots = f.slots, healthy](PoolQueue& q) {
    return healthy->load() ? q.try_acquire(0, slots) : Lease::none_eligible();
  }, r);
  drain(io);
  healthy->store(false);
  f.queue->kick();  // e.g. the health checker marked the last backend down
  drain(io);
  EXPECT_EQ(error_of(r), AdmitError::kNoBackend);
}

TEST(PoolQueue, DroppingAGrantedButUnusedLeaseWakesTheNextWaiter) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  std::optional<Outcome> a, b;
  spawn_admit(io, f.queue, f.picker(), a);
  spawn_admit(io, f.queue, f.picker(), b);
  drain(io);
  held = Lease();  // move-assign an empty lease: releases
  drain(io);
  ASSERT_TRUE(granted(a));
  a.reset();  // the request went away without using its slot
  drain(io);
  EXPECT_TRUE(granted(b));
}

TEST(PoolQueue, RetryAfterIsAtLeastOneAndFollowsTheDrainRate) {
  Fixture f(1, 8, 30s);
  EXPECT_EQ(f.queue->retry_after_seconds(), 30U);  // nothing measured: the queue timeout
  net::io_context io;
  for (int i = 0; i < 50; ++i) {
    std::optional<Outcome> r;
    spawn_admit(io, f.queue, f.picker(), r);
    io.restart();
    io.run();
    ASSERT_TRUE(granted(r));
  }
  EXPECT_EQ(f.queue->grants(), 50U);
  const auto fast = f.queue->retry_after_seconds();
  EXPECT_GE(fast, 1U);
  EXPECT_LE(fast, 2U);  // 50 grants just now: about 5/s measured over the 10 s time constant
  const auto later = f.queue->retry_after_seconds(DrainRate::Clock::now() + std::chrono::minutes(5));
  EXPECT_GT(later, fast);  // the rate decays when nothing drains
}

TEST(PoolQueue, SetLimitsAppliesToLaterAdmits) {
  net::io_context io;
  Fixture f(1, 8);
  Lease held = f.queue->try_acquire(0, f.slots);
  f.queue->set_limits(0, 10min);
  std::optional<Outcome> r;
  spawn_admit(io, f.queue, f.picker(), r);
  drain(io);
  EXPECT_EQ(error_of(r), AdmitError::kQueueFull);
}

// Two worker threads, each with its own io_context, admitting and releasing against one queue and one
// backend with 2 slots. A lost wake-up would leave a waiter until its (long) deadline: the test then
// reports timeouts instead of hanging forever.
TEST(PoolQueue, NoLostWakeupsAcrossTwoThreads) {
  constexpr int kPerThread = 400;
  Fixture f(2, 1000, 2min);
  std::atomic<std::uint32_t> max_seen{0};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::unique_ptr<net::io_context>> ios;
  for (int t = 0; t < 2; ++t) ios.push_back(std::make_unique<net::io_context>(1));

  auto worker = [&](net::io_context& io) {
    for (int i = 0; i < kPerThread; ++i) {
      net::co_spawn(io, f.queue->admit(f.picker()), [&, &io = io](std::exception_ptr e, Outcome o) {
        if (e || !std::holds_alternative<Lease>(o) || !std::get<Lease>(o)) {
          ++failed;
          return;
        }
        const std::uint32_t now = f.slots->in_flight.load();
        std::uint32_t prev = max_seen.load();
        while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
        }
        ++ok;
        // Hold the slot for one turn of the loop, then release it from this thread.
        auto lease = std::make_shared<Lease>(std::move(std::get<Lease>(o)));
        net::post(io, [lease] { lease->release(); });
      });
    }
    io.run();
  };
  std::thread a(worker, std::ref(*ios[0]));
  std::thread b(worker, std::ref(*ios[1]));
  a.join();
  b.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), 2 * kPerThread);
  EXPECT_LE(max_seen.load(), 2U);
  EXPECT_EQ(f.slots->in_flight.load(), 0U);
  EXPECT_EQ(f.queue->depth(), 0U);
}

}  // namespace
}  // namespace corral::admission
