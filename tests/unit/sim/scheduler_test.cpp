// The simulator's scheduler driven with a hand-moved clock: VRAM accounting, LRU eviction, in-use models
// never evicted, --max-loaded, one load at a time, slots and FIFO queues, the 503 threshold, keep-alive
// expiry (0, finite, forever) and cancellation in every phase.
#include "sim/scheduler.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace corral::sim {
namespace {

using namespace std::chrono_literals;

struct FakeWaiter final : Waiter {
  std::vector<Grant> grants;
  void wake(const Grant& g) override { grants.push_back(g); }
};

constexpr std::uint64_t kGB = 1'000'000'000;

class SchedulerTest : public ::testing::Test {
 protected:
  void make(SchedulerConfig c) { s_ = std::make_unique<Scheduler>(c); }

  AdmitResult admit(std::string_view key, std::uint64_t size, std::shared_ptr<Waiter> w = nullptr,
                    std::optional<Nanos> ka = std::nullopt, int parallel = 0) {
    return s_->admit({key, key, size, parallel}, ka, std::move(w), now_, wakes_);
  }
  void fire() {
    for (auto& w : wakes_) w.waiter->wake(w.grant);
    wakes_.clear();
  }
  // Admits and, when the caller must load, finishes the load at once.
  void run_now(std::string_view key, std::uint64_t size, std::optional<Nanos> ka = std::nullopt) {
    auto r = admit(key, size, nullptr, ka);
    ASSERT_TRUE(r.status == AdmitStatus::kRun || r.status == AdmitStatus::kLoad) << static_cast<int>(r.status);
    if (r.status == AdmitStatus::kLoad) s_->load_done(key, now_, wakes_);
  }
  std::vector<std::string> loaded() const {
    std::vector<std::string> out;
    for (auto& r : s_->runners()) out.push_back(r.key);
    return out;
  }

  std::unique_ptr<Scheduler> s_;
  TimePoint now_ = TimePoint{} + 1000s;
  Wakes wakes_;
};

TEST_F(SchedulerTest, FirstRequestLoadsAndLoadTimeFollowsSizeOverSpeed) {
  make({.vram = 24 * kGB, .load_gbps = 2.0});
  auto r = admit("a", 4 * kGB);
  EXPECT_EQ(r.status, AdmitStatus::kLoad);
  EXPECT_EQ(r.load_time, 2s);
  EXPECT_TRUE(s_->loading());
  EXPECT_EQ(s_->vram_used(), 4 * kGB);
  s_->load_done("a", now_, wakes_);
  EXPECT_EQ(s_->counters().loads, 1u);
  EXPECT_EQ(s_->active(), 1);
  // A second request on the loaded model runs at once.
  EXPECT_EQ(admit("a", 4 * kGB).status, AdmitStatus::kRun);
  EXPECT_EQ(s_->active(), 2);
}

TEST_F(SchedulerTest, ParallelSlotsThenFifoQueue) {
  make({.num_parallel = 2});
  run_now("a", kGB);
  EXPECT_EQ(admit("a", kGB).status, AdmitStatus::kRun);
  EXPECT_EQ(admit("a", kGB).status, AdmitStatus::kMustWait) << "no waiter given: nothing changes";
  EXPECT_EQ(s_->waiting(), 0);
  auto w1 = std::make_shared<FakeWaiter>();
  auto w2 = std::make_shared<FakeWaiter>();
  EXPECT_EQ(admit("a", kGB, w1).status, AdmitStatus::kQueued);
  EXPECT_EQ(admit("a", kGB, w2).status, AdmitStatus::kQueued);
  EXPECT_EQ(s_->waiting(), 2);
  s_->release("a", now_, wakes_);
  fire();
  ASSERT_EQ(w1->grants.size(), 1u) << "FIFO: the first waiter gets the freed slot";
  EXPECT_EQ(w1->grants[0].kind, Grant::Kind::kRun);
  EXPECT_TRUE(w2->grants.empty());
  EXPECT_EQ(s_->active(), 2);
  EXPECT_EQ(s_->waiting(), 1);
}

// Ollama's load_duration stops when the request has a resident runner; the wait for one of its slots
// afterwards is not part of it. The handler reads runner_at for that.
TEST_F(SchedulerTest, RunnerAtMarksWhenTheModelWasResidentNotWhenTheSlotFreed) {
  make({.num_parallel = 1, .load_gbps = 1.0});
  run_now("a", kGB);
  auto slot_waiter = std::make_shared<FakeWaiter>();
  const TimePoint admitted = now_;
  EXPECT_EQ(admit("a", kGB, slot_waiter).status, AdmitStatus::kQueued);
  now_ += 7s;
  s_->release("a", now_, wakes_);
  fire();
  ASSERT_EQ(slot_waiter->grants.size(), 1u);
  EXPECT_EQ(slot_waiter->runner_at, admitted) << "resident at admission: the 7 s slot wait is not load time";

  // Behind another request's load, the runner exists only once that load is done.
  auto loader = std::make_shared<FakeWaiter>();
  auto behind = std::make_shared<FakeWaiter>();
  ASSERT_EQ(admit("b", kGB, loader).status, AdmitStatus::kQueued);
  fire();
  ASSERT_EQ(loader->grants.size(), 1u);
  EXPECT_EQ(loader->grants[0].kind, Grant::Kind::kLoad);
  EXPECT_FALSE(loader->runner_at.has_value()) << "a load's requester measures until its load is done";
  EXPECT_EQ(admit("b", kGB, behind).status, AdmitStatus::kQueued);
  now_ += 1s;
  s_->load_done("b", now_, wakes_);
  fire();
  EXPECT_EQ(behind->runner_at, now_);
}

TEST_F(SchedulerTest, BusyWhenWaitingReachesMaxQueue) {
  make({.num_parallel = 1, .max_queue = 2});
  run_now("a", kGB);
  EXPECT_EQ(admit("a", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kQueued);
  EXPECT_EQ(admit("a", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kQueued);
  EXPECT_EQ(admit("a", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kBusy);
  EXPECT_EQ(s_->counters().rejected_busy, 1u);
  // A load request counts against the same limit.
  EXPECT_EQ(admit("b", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kBusy);
}

TEST_F(SchedulerTest, HotQueueUnboundedCountsOnlyLoads) {
  make({.num_parallel = 1, .max_queue = 1, .hot_queue_unbounded = true});
  run_now("a", kGB);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(admit("a", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kQueued);
  EXPECT_EQ(admit("b", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kBusy);
}

TEST_F(SchedulerTest, LoadThatDoesNotFitEvictsLeastRecentlyUsedIdleModel) {
  make({.vram = 10 * kGB, .max_loaded = 5});
  run_now("a", 4 * kGB);
  s_->release("a", now_, wakes_);
  now_ += 1s;
  run_now("b", 4 * kGB);
  s_->release("b", now_, wakes_);
  now_ += 1s;
  run_now("a", 4 * kGB);  // a is now the most recently used
  s_->release("a", now_, wakes_);
  now_ += 1s;
  auto r = admit("c", 4 * kGB);
  EXPECT_EQ(r.status, AdmitStatus::kLoad);
  EXPECT_EQ(s_->counters().evictions, 1u);
  EXPECT_EQ(loaded(), (std::vector<std::string>{"a", "c"})) << "b was the least recently used";
  EXPECT_EQ(s_->vram_used(), 8 * kGB);
}

TEST_F(SchedulerTest, InUseModelIsNeverEvictedTheLoadWaits) {
  make({.vram = 10 * kGB, .max_loaded = 5});
  run_now("a", 6 * kGB);  // a stays in use
  auto w = std::make_shared<FakeWaiter>();
  EXPECT_EQ(admit("b", 6 * kGB, w).status, AdmitStatus::kQueued);
  fire();
  EXPECT_TRUE(w->grants.empty());
  EXPECT_EQ(s_->counters().evictions, 0u);
  EXPECT_EQ(loaded(), std::vector<std::string>{"a"});
  s_->release("a", now_, wakes_);  // idle now: b evicts it and loads
  fire();
  ASSERT_EQ(w->grants.size(), 1u);
  EXPECT_EQ(w->grants[0].kind, Grant::Kind::kLoad);
  EXPECT_EQ(s_->counters().evictions, 1u);
  EXPECT_EQ(loaded(), std::vector<std::string>{"b"});
}

TEST_F(SchedulerTest, MaxLoadedEvictsEvenWhenMemoryFits) {
  make({.vram = 100 * kGB, .max_loaded = 2});
  run_now("a", kGB);
  s_->release("a", now_, wakes_);
  now_ += 1s;
  run_now("b", kGB);
  s_->release("b", now_, wakes_);
  now_ += 1s;
  EXPECT_EQ(admit("c", kGB).status, AdmitStatus::kLoad);
  EXPECT_EQ(loaded(), (std::vector<std::string>{"b", "c"}));
}

TEST_F(SchedulerTest, OnlyOneLoadAtATime) {
  make({});
  EXPECT_EQ(admit("a", kGB).status, AdmitStatus::kLoad);
  EXPECT_EQ(admit("b", kGB).status, AdmitStatus::kMustWait);
  auto wb = std::make_shared<FakeWaiter>();
  auto wa = std::make_shared<FakeWaiter>();
  EXPECT_EQ(admit("b", kGB, wb).status, AdmitStatus::kQueued);
  EXPECT_EQ(admit("a", kGB, wa).status, AdmitStatus::kQueued) << "a is still loading: wait behind it";
  fire();
  EXPECT_TRUE(wb->grants.empty());
  s_->load_done("a", now_, wakes_);
  fire();
  ASSERT_EQ(wb->grants.size(), 1u);
  EXPECT_EQ(wb->grants[0].kind, Grant::Kind::kLoad) << "b's load starts once a's has finished";
  ASSERT_EQ(wa->grants.size(), 0u) << "head of line: a's second request waits until b's load is done";
  s_->load_done("b", now_, wakes_);
  fire();
  ASSERT_EQ(wa->grants.size(), 1u);
  EXPECT_EQ(wa->grants[0].kind, Grant::Kind::kRun);
}

TEST_F(SchedulerTest, KeepAliveExpiresOnTime) {
  make({.default_keep_alive = 5min});
  run_now("a", kGB);
  EXPECT_FALSE(s_->next_expiry()) << "in use: no deadline";
  s_->release("a", now_, wakes_);
  ASSERT_TRUE(s_->next_expiry());
  EXPECT_EQ(*s_->next_expiry(), now_ + 5min);
  EXPECT_TRUE(s_->expire(now_ + 4min, wakes_).has_value());
  EXPECT_EQ(loaded().size(), 1u);
  EXPECT_FALSE(s_->expire(now_ + 5min, wakes_).has_value());
  EXPECT_TRUE(loaded().empty());
  EXPECT_EQ(s_->counters().unloads, 1u);
  EXPECT_EQ(s_->vram_used(), 0u);
}

TEST_F(SchedulerTest, RequestKeepAliveOverridesAndZeroUnloadsWhenIdle) {
  make({});
  run_now("a", kGB, 0s);
  EXPECT_EQ(loaded().size(), 1u) << "in use: stays until the request ends";
  s_->release("a", now_, wakes_);
  EXPECT_TRUE(loaded().empty());
  EXPECT_EQ(s_->counters().unloads, 1u);
}

TEST_F(SchedulerTest, NegativeKeepAliveIsForever) {
  make({.default_keep_alive = 1s});
  run_now("a", kGB, Nanos(-1));
  s_->release("a", now_, wakes_);
  EXPECT_FALSE(s_->next_expiry());
  s_->expire(now_ + 24h * 365, wakes_);
  ASSERT_EQ(s_->runners().size(), 1u);
  EXPECT_TRUE(s_->runners()[0].forever);
  // A later request without keep_alive (every /v1 call) keeps the pin.
  run_now("a", kGB);
  s_->release("a", now_, wakes_);
  EXPECT_FALSE(s_->next_expiry());
}

TEST_F(SchedulerTest, UnloadCommandWaitsForInFlightWork) {
  make({});
  run_now("a", kGB);
  EXPECT_TRUE(s_->unload("a", now_, wakes_));
  EXPECT_EQ(loaded().size(), 1u);
  s_->release("a", now_, wakes_);
  EXPECT_TRUE(loaded().empty());
  EXPECT_FALSE(s_->unload("a", now_, wakes_)) << "not loaded any more";
}

TEST_F(SchedulerTest, CancelQueuedWaiterFreesItsPlace) {
  make({.num_parallel = 1, .max_queue = 1});
  run_now("a", kGB);
  auto w = std::make_shared<FakeWaiter>();
  EXPECT_EQ(admit("a", kGB, w).status, AdmitStatus::kQueued);
  EXPECT_TRUE(s_->cancel(w.get(), now_, wakes_));
  EXPECT_EQ(s_->waiting(), 0);
  EXPECT_EQ(admit("a", kGB, std::make_shared<FakeWaiter>()).status, AdmitStatus::kQueued);
}

TEST_F(SchedulerTest, CancelAfterGrantReportsTheGrant) {
  make({.num_parallel = 1});
  run_now("a", kGB);
  auto w = std::make_shared<FakeWaiter>();
  EXPECT_EQ(admit("a", kGB, w).status, AdmitStatus::kQueued);
  s_->release("a", now_, wakes_);  // granted, wake not yet delivered
  EXPECT_FALSE(s_->cancel(w.get(), now_, wakes_));
  ASSERT_TRUE(w->granted.has_value());
  EXPECT_EQ(w->granted->kind, Grant::Kind::kRun);
  s_->release("a", now_, wakes_);  // the canceller gives the slot back
  EXPECT_EQ(s_->active(), 0);
}

TEST_F(SchedulerTest, AbortedLoadFreesMemoryAndLetsTheNextLoad) {
  make({.vram = 10 * kGB});
  EXPECT_EQ(admit("a", 8 * kGB).status, AdmitStatus::kLoad);
  auto w = std::make_shared<FakeWaiter>();
  EXPECT_EQ(admit("b", 8 * kGB, w).status, AdmitStatus::kQueued);
  s_->abort_load("a", now_, wakes_);
  fire();
  EXPECT_EQ(s_->counters().load_aborts, 1u);
  EXPECT_EQ(s_->counters().loads, 0u);
  ASSERT_EQ(w->grants.size(), 1u);
  EXPECT_EQ(w->grants[0].kind, Grant::Kind::kLoad);
  EXPECT_EQ(loaded(), std::vector<std::string>{"b"});
  EXPECT_EQ(s_->vram_used(), 8 * kGB);
}

TEST_F(SchedulerTest, ModelLargerThanVramLoadsAloneAndPartly) {
  make({.vram = 10 * kGB});
  run_now("small", kGB);
  s_->release("small", now_, wakes_);
  EXPECT_EQ(admit("huge", 30 * kGB).status, AdmitStatus::kLoad);
  const auto runners = s_->runners();
  ASSERT_EQ(runners.size(), 1u);
  EXPECT_EQ(runners[0].size, 30 * kGB);
  EXPECT_EQ(runners[0].size_vram, 10 * kGB);
}

TEST_F(SchedulerTest, EmbeddingModelsRunOneAtATime) {
  make({.num_parallel = 4});
  auto r = s_->admit({"e", "e", kGB, 1}, std::nullopt, nullptr, now_, wakes_);
  ASSERT_EQ(r.status, AdmitStatus::kLoad);
  s_->load_done("e", now_, wakes_);
  EXPECT_EQ(s_->admit({"e", "e", kGB, 1}, std::nullopt, nullptr, now_, wakes_).status, AdmitStatus::kMustWait);
}

}  // namespace
}  // namespace corral::sim
