// Placement arithmetic with explicit times (the injected clock is the `now` argument): fit tiers and
// their costs, eviction order and protection (busy, pinned, fresh, pass-over), the replication rule,
// cold fits waiting behind loads under way, and where a passed-over request may claim a worker.
#include "placement/placement.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace corral::placement {
namespace {

constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::uint64_t kGB = 1'000'000'000;
const Rules kRules{30 * kSec, 60 * kSec, 10};

Resident resident(std::uint64_t gb, std::int64_t last_used_s, std::int64_t loaded_at_s = 0) {
  Resident r;
  r.bytes = gb * kGB;
  r.load_estimate_ns = static_cast<std::int64_t>(gb) * kSec;
  r.last_used_ns = last_used_s * kSec;
  r.loaded_at_ns = loaded_at_s * kSec;
  return r;
}

WorkerFacts cold(std::uint64_t gb, std::optional<std::uint64_t> vram_gb = 24) {
  WorkerFacts w;
  if (vram_gb) w.vram = *vram_gb * kGB;
  w.model_bytes = gb * kGB;
  w.load_estimate_ns = static_cast<std::int64_t>(gb) * 2 * kSec;
  return w;
}

TEST(Placement, LoadedCostsNothingAndLoadingCostsWhatRemains) {
  WorkerFacts w = cold(8);
  w.loaded = true;
  EXPECT_EQ(assess(w, {}, 1000 * kSec, false, kRules).fit, Fit::kLoaded);
  EXPECT_EQ(assess(w, {}, 1000 * kSec, false, kRules).cost_ns, 0);
  w.loaded = false;
  w.loading_since_ns = 100 * kSec;  // a 16 s load that started 10 s ago
  const auto a = assess(w, {}, 110 * kSec, false, kRules);
  EXPECT_EQ(a.fit, Fit::kLoading);
  EXPECT_EQ(a.cost_ns, 6 * kSec);
  EXPECT_EQ(assess(w, {}, 200 * kSec, false, kRules).cost_ns, 0);  // overdue: never negative
}

TEST(Placement, FreeVramCostsTheLoadAndEvictionAddsTheVictimsReload) {
  std::vector<Resident> others{resident(10, 50, 0), resident(6, 20, 0)};
  const auto free_fit = assess(cold(8), others, 1000 * kSec, false, kRules);  // 16 used of 24
  EXPECT_EQ(free_fit.fit, Fit::kFree);
  EXPECT_EQ(free_fit.cost_ns, 16 * kSec);
  const auto evict = assess(cold(12), others, 1000 * kSec, false, kRules);
  EXPECT_EQ(evict.fit, Fit::kEvict);
  EXPECT_EQ(evict.victims, 1U);
  EXPECT_EQ(others[0].bytes, 6 * kGB);  // least recently used first: the 6 GB model goes
  EXPECT_EQ(evict.cost_ns, 24 * kSec + 6 * kSec);
}

TEST(Placement, TooLargeIsNeverPlacedAndUnknownVramIsNotGuessed) {
  EXPECT_EQ(assess(cold(30), {}, 0, false, kRules).fit, Fit::kTooLarge);
  std::vector<Resident> full{resident(20, 1)};
  const auto unknown = assess(cold(30, std::nullopt), full, 1000 * kSec, false, kRules);
  EXPECT_EQ(unknown.fit, Fit::kFree);  // no capacity configured: no VRAM reasoning at all
  EXPECT_EQ(unknown.cost_ns, 60 * kSec);
}

TEST(Placement, BusyModelsAreSkippedPinnedAndFreshOnesBlock) {
  std::vector<Resident> busy{resident(10, 1), resident(10, 2)};
  busy[0].in_flight = 1;  // LRU but busy: Ollama takes the next idle one
  const auto a = assess(cold(8), busy, 1000 * kSec, false, kRules);
  EXPECT_EQ(a.fit, Fit::kEvict);
  EXPECT_EQ(a.victims, 1U);

  std::vector<Resident> pinned{resident(10, 1), resident(10, 2)};
  pinned[0].pinned = true;
  EXPECT_EQ(assess(cold(8), pinned, 1000 * kSec, false, kRules).fit, Fit::kNoRoom);

  std::vector<Resident> fresh{resident(20, 995, 990)};  // loaded 10 s ago, residency 30 s
  EXPECT_EQ(assess(cold(8), fresh, 1000 * kSec, false, kRules).fit, Fit::kNoRoom);
  EXPECT_EQ(assess(cold(8), fresh, 1021 * kSec, false, kRules).fit, Fit::kEvict);  // residency over
  EXPECT_EQ(assess(cold(8), fresh, 1000 * kSec, true, kRules).fit, Fit::kEvict);   // passed over too long
  std::vector<Resident> pinned_fresh{resident(20, 995, 990)};
  pinned_fresh[0].pinned = true;
  EXPECT_EQ(assess(cold(8), pinned_fresh, 1000 * kSec, true, kRules).fit, Fit::kNoRoom);  // pinned stays
}

TEST(Placement, ALoadStartsWhenNobodyHasTheModelOrDemandJustifiesAReplica) {
  EXPECT_TRUE(may_start_load(0, std::nullopt, 0, 0, kRules));
  EXPECT_FALSE(may_start_load(1, std::nullopt, 10, 0, kRules));  // "more than 10 waiting"
  EXPECT_TRUE(may_start_load(1, std::nullopt, 11, 0, kRules));
  EXPECT_FALSE(may_start_load(2, 2, 100, 0, kRules));            // max_replicas
  EXPECT_TRUE(may_start_load(1, 2, 0, 60 * kSec, kRules));       // bounded pass-over
  EXPECT_FALSE(may_start_load(1, 2, 0, 59 * kSec, kRules));
}

TEST(Placement, AColdFitWaitsForTheLoadAlreadyRunningThere) {
  std::vector<Resident> others{resident(4, 1)};
  others[0].in_flight = 1;
  others[0].loading_since_ns = 100 * kSec;  // a 4 s load, 1 s in
  const auto a = assess(cold(3), others, 101 * kSec, false, kRules);
  EXPECT_EQ(a.fit, Fit::kFree);
  EXPECT_EQ(a.cost_ns, 3 * kSec + 6 * kSec);  // the 3 s left of the other load, then its own 6 s
  others[0].loading_since_ns = 0;             // loaded now: only its own load
  EXPECT_EQ(assess(cold(3), others, 101 * kSec, false, kRules).cost_ns, 6 * kSec);
}

TEST(Placement, NoRoomSaysWhetherRoomAppearsOnceTheBusyModelsFinish) {
  std::vector<Resident> busy{resident(12, 1), resident(12, 2)};
  busy[0].in_flight = 2;
  busy[1].in_flight = 1;
  const auto a = assess(cold(8), busy, 1000 * kSec, false, kRules);
  EXPECT_EQ(a.fit, Fit::kNoRoom);
  EXPECT_TRUE(a.drainable);

  std::vector<Resident> pinned = busy;
  pinned[0].pinned = pinned[1].pinned = true;
  EXPECT_FALSE(assess(cold(8), pinned, 1000 * kSec, true, kRules).drainable);

  std::vector<Resident> fresh{resident(12, 995, 990), resident(12, 996, 995)};  // loaded 10 s and 5 s ago
  fresh[0].in_flight = fresh[1].in_flight = 1;
  EXPECT_FALSE(assess(cold(8), fresh, 1000 * kSec, false, kRules).drainable);
  EXPECT_TRUE(assess(cold(8), fresh, 1000 * kSec, true, kRules).drainable);  // passed over: fresh may go
}

TEST(Placement, ClaimChoiceTakesTheWorkerThatDrainsFirst) {
  ClaimChoice c;
  EXPECT_FALSE(c.best());
  c.offer(0, 5);
  c.offer(1, 2);
  c.offer(2, 2);  // a tie keeps the earlier worker
  c.offer(3, 7);
  EXPECT_EQ(c.best(), 1U);
  c.clear();
  EXPECT_FALSE(c.best());
}

TEST(Placement, LoadEstimateLearnsAndFallsBackToSizeOverRate) {
  EXPECT_EQ(load_estimate_ns(4 * kGB, 0, 2 * kGB), 2 * kSec);
  EXPECT_EQ(load_estimate_ns(4 * kGB, 7 * kSec, 2 * kGB), 7 * kSec);
  EXPECT_EQ(load_estimate_ns(0, 0, 2 * kGB), kSec);
}

}  // namespace
}  // namespace corral::placement
