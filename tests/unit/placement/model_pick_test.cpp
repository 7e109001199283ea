// The model-aware decision over thousands of random pools (h2o style, seeded, so every run sees the same
// pools): it never returns a member that does not serve the request, was tried, is full or claimed, or has
// no room; never one strictly worse than another available one by the header's order (warm before cold,
// then cost, then load per weight; the sticky backend first among warm ones); never exceeds a backend's
// slots or a GPU's VRAM, over whole sequences of picks applied to a pool; and a cold model gets one load
// (single flight). Then the tiers one by one, by hand. The reference facts come from placement::assess,
// which placement_test.cpp pins down.
#include "placement/model_pick.hpp"

#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lb/model_aware.hpp"

namespace corral::placement::model_pick_test {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kGiga = 1'000'000'000;
constexpr std::int64_t kNow = 1000 * kSecond;

// A pool under test: the members and their residents, owned, and a view of them.
struct Pool {
  std::vector<MemberView> members;
  std::vector<std::vector<Resident>> residents;  // per member
  std::vector<Resident> flat;
  std::vector<lb::Candidate> scratch;
  Rules rules{30 * kSecond, 10 * kSecond, 2};
  std::int64_t waited_ns = 0;
  std::optional<std::uint32_t> max_replicas;

  MemberView& add(MemberView m, std::vector<Resident> others = {}) {
    m.serves = true;
    members.push_back(m);
    residents.push_back(std::move(others));
    return members.back();
  }
  PoolView view() {
    flat.clear();
    for (std::size_t i = 0; i < members.size(); ++i) {
      members[i].first_resident = static_cast<std::uint32_t>(flat.size());
      members[i].resident_count = static_cast<std::uint32_t>(residents[i].size());
      flat.insert(flat.end(), residents[i].begin(), residents[i].end());
    }
    scratch.resize(members.size());
    return PoolView{members, flat, kNow, waited_ns, rules, max_replicas};
  }
  PickDecision decide() {
    const PoolView v = view();
    lb::ModelAwarePolicy policy;
    lb::PickContext ctx;
    ctx.model_key = "m:latest";
    return model_pick(v, policy, ctx, scratch);
  }
  std::span<const Resident> residents_after(std::uint32_t i) const {  // as model_pick left them
    return std::span<const Resident>(flat).subspan(members[i].first_resident, members[i].resident_count);
  }
};

MemberView free_member(std::uint32_t in_flight = 0) {
  MemberView m;
  m.backend_free = true;
  m.model_free = true;
  m.in_flight = in_flight;
  m.model.vram = 24 * kGiga;
  m.model.model_bytes = 8 * kGiga;
  m.model.load_estimate_ns = 4 * kSecond;
  return m;
}

MemberView loaded_member(std::uint32_t in_flight = 0) {
  MemberView m = free_member(in_flight);
  m.model.loaded = true;
  return m;
}

MemberView loading_member(std::int64_t started_ago_s) {
  MemberView m = free_member();
  m.model.loading_since_ns = kNow - started_ago_s * kSecond;
  return m;
}

Resident other_model(std::uint64_t gb, std::int64_t idle_s, std::uint32_t in_flight = 0) {
  Resident r;
  r.bytes = gb * kGiga;
  r.load_estimate_ns = static_cast<std::int64_t>(gb) * kSecond / 2;
  r.last_used_ns = kNow - idle_s * kSecond;
  r.loaded_at_ns = kNow - 3600 * kSecond;  // long past min_residency
  r.in_flight = in_flight;
  return r;
}

// ---- random pools ----

Resident random_resident(std::mt19937_64& rng, std::size_t tag) {
  Resident r;
  r.bytes = (1 + rng() % 20) * kGiga;
  r.load_estimate_ns = static_cast<std::int64_t>(1 + rng() % 20) * kSecond;
  r.last_used_ns = kNow - static_cast<std::int64_t>(rng() % (100 * kSecond));
  r.loaded_at_ns = kNow - static_cast<std::int64_t>(rng() % (100 * kSecond));
  if (rng() % 5 == 0) r.loading_since_ns = kNow - static_cast<std::int64_t>(rng() % (10 * kSecond));
  if (rng() % 3 == 0) r.in_flight = 1 + static_cast<std::uint32_t>(rng() % 3);
  r.pinned = rng() % 10 == 0;
  r.tag = tag;
  return r;
}

void random_model(std::mt19937_64& rng, WorkerFacts& w) {
  if (rng() % 5 != 0) w.vram = (8 + rng() % 41) * kGiga;
  if (rng() % 10 != 0) w.model_bytes = (2 + rng() % 39) * kGiga;
  w.load_estimate_ns = static_cast<std::int64_t>(1 + rng() % 20) * kSecond;
  const auto state = rng() % 20;
  if (state < 5) w.loaded = true;
  else if (state < 8) w.loading_since_ns = kNow - static_cast<std::int64_t>(rng() % (20 * kSecond));
}

Pool random_pool(std::mt19937_64& rng) {
  Pool p;
  p.rules.replicate_queue_depth = static_cast<std::uint32_t>(rng() % 4);
  const std::int64_t waits[] = {0, 5 * kSecond, 10 * kSecond, 20 * kSecond};
  p.waited_ns = waits[rng() % 4];
  if (rng() % 2 == 0) p.max_replicas = 1 + static_cast<std::uint32_t>(rng() % 3);
  const std::size_t n = 1 + rng() % 8;
  bool sticky_given = false;
  for (std::size_t i = 0; i < n; ++i) {
    MemberView m;
    m.tried = rng() % 7 == 0;
    m.backend_free = rng() % 4 != 0;
    m.model_free = rng() % 5 != 0;
    m.claimed_by_other = rng() % 10 == 0;
    m.sticky = !sticky_given && rng() % 6 == 0;
    sticky_given = sticky_given || m.sticky;
    m.weight = 1 + static_cast<std::uint32_t>(rng() % 4);
    m.in_flight = static_cast<std::uint32_t>(rng() % 6);
    random_model(rng, m.model);
    std::vector<Resident> others;
    for (std::size_t k = rng() % 4; k > 0; --k) others.push_back(random_resident(rng, others.size()));
    p.add(m, std::move(others)).serves = rng() % 7 != 0;
  }
  return p;
}

// What the decision is checked against, from the members' own facts.
struct Facts {
  Assessment a;
  bool eligible = false;   // serves, untried, fits the VRAM at all
  bool candidate = false;  // eligible, room now, both slots free, no other model's claim
  bool warm = false;
};

// From the members' own copies of their residents, so the buffer model_pick sorted stays as it left it.
std::vector<Facts> facts_of(const Pool& p) {
  const bool passed_over = p.waited_ns >= p.rules.max_pass_over_ns;
  std::vector<Facts> out;
  for (std::size_t i = 0; i < p.members.size(); ++i) {
    const MemberView& m = p.members[i];
    std::vector<Resident> others = p.residents[i];
    Facts f;
    f.a = assess(m.model, others, kNow, passed_over, p.rules);
    f.warm = f.a.fit == Fit::kLoaded || f.a.fit == Fit::kLoading;
    f.eligible = m.serves && !m.tried && f.a.fit != Fit::kTooLarge;
    f.candidate = f.eligible && f.a.fit != Fit::kNoRoom && !m.claimed_by_other && m.backend_free && m.model_free;
    out.push_back(f);
  }
  return out;
}

// `o` is strictly better than `c` by the policy's measure within one tier: cost, then load per weight.
bool strictly_better(const MemberView& o, const Facts& fo, const MemberView& c, const Facts& fc) {
  if (fo.a.cost_ns != fc.a.cost_ns) return fo.a.cost_ns < fc.a.cost_ns;
  return std::uint64_t{o.in_flight + 1} * c.weight < std::uint64_t{c.in_flight + 1} * o.weight;
}

void check_vram(const Pool& p, const PickDecision& d) {
  const MemberView& m = p.members[d.member];
  if (!m.model.vram || m.model.model_bytes == 0) return;  // no VRAM reasoning there
  std::uint64_t used = 0;
  std::uint64_t freed = 0;
  std::size_t left = d.victims;
  for (const Resident& r : p.residents_after(d.member)) {
    used += r.bytes;
    if (left == 0 || r.in_flight != 0) continue;
    ASSERT_FALSE(r.pinned);
    ASSERT_TRUE(p.waited_ns >= p.rules.max_pass_over_ns || kNow - r.loaded_at_ns >= p.rules.min_residency_ns);
    freed += r.bytes;
    --left;
  }
  ASSERT_EQ(left, 0U) << "fewer idle residents than victims";
  ASSERT_EQ(d.fit == Fit::kEvict, d.victims > 0);
  // Facts can put a card over its VRAM already (disk sizes standing in for unknown VRAM sizes): assess
  // counts that as no free room, not as a debt, so the check is "fits in the free room plus the victims".
  const std::uint64_t free = used >= *m.model.vram ? 0 : *m.model.vram - used;
  ASSERT_LE(m.model.model_bytes, free + freed);
}

void check_invariants(const Pool& p, const PickDecision& d) {
  const std::vector<Facts> f = facts_of(p);
  std::uint32_t replicas = 0;
  bool any_eligible = false, any_warm = false, any_cold = false;
  std::optional<std::uint32_t> sticky;
  for (std::uint32_t i = 0; i < p.members.size(); ++i) {
    if (p.members[i].serves && f[i].warm) ++replicas;
    any_eligible = any_eligible || f[i].eligible;
    any_warm = any_warm || (f[i].candidate && f[i].warm);
    any_cold = any_cold || (f[i].candidate && !f[i].warm);
    if (f[i].candidate && f[i].warm && p.members[i].sticky && !sticky) sticky = i;
  }
  ASSERT_EQ(d.replicas, replicas);
  ASSERT_EQ(d.action == PickAction::kNoneEligible, !any_eligible);
  if (any_warm) {
    ASSERT_EQ(d.action, PickAction::kTake) << "a warm member with a free slot beats everything";
  }
  const bool passed_over = p.waited_ns >= p.rules.max_pass_over_ns;
  if (d.action == PickAction::kTake || d.action == PickAction::kLoad) {
    ASSERT_LT(d.member, p.members.size());
    const MemberView& c = p.members[d.member];
    ASSERT_TRUE(f[d.member].candidate) << "tried, ineligible, full, claimed or without room";
    ASSERT_EQ(f[d.member].warm, d.action == PickAction::kTake);
    ASSERT_EQ(d.fit, f[d.member].a.fit);
    if (sticky) {
      ASSERT_EQ(d.member, *sticky);
    }
    for (std::uint32_t i = 0; i < p.members.size(); ++i) {
      if (!f[i].candidate || f[i].warm != f[d.member].warm || sticky) continue;
      ASSERT_FALSE(strictly_better(p.members[i], f[i], c, f[d.member])) << "member " << i << " is better";
    }
  }
  if (d.action == PickAction::kLoad) {
    ASSERT_TRUE(d.fit == Fit::kFree || d.fit == Fit::kEvict);
    if (replicas > 0) {
      ASSERT_TRUE(!p.max_replicas || replicas < *p.max_replicas);
    }
    ASSERT_EQ(d.waiting_above.has_value(), replicas > 0 && !passed_over);
    if (d.waiting_above) {
      ASSERT_EQ(*d.waiting_above, p.rules.replicate_queue_depth);
    }
    check_vram(p, d);
  }
  if (d.action == PickAction::kWait && any_cold) {
    ASSERT_TRUE(replicas > 0 && p.max_replicas && replicas >= *p.max_replicas) << "a cold load was allowed";
  }
  // The claim: only for a passed-over request whose model is warm nowhere, on the least busy member
  // that would have room once it drains.
  std::optional<std::uint32_t> claim;
  for (std::uint32_t i = 0; i < p.members.size(); ++i) {
    if (!f[i].eligible || f[i].a.fit != Fit::kNoRoom || !f[i].a.drainable) continue;
    if (!claim || p.members[i].in_flight < p.members[*claim].in_flight) claim = i;
  }
  if (!passed_over || replicas > 0) claim.reset();
  ASSERT_EQ(d.claim, claim);
}

TEST(ModelPickInvariants, OverRandomPools) {
  std::mt19937_64 rng(20'261'207);
  int taken = 0, loaded = 0, waited = 0, none = 0;
  for (int round = 0; round < 20'000; ++round) {
    Pool p = random_pool(rng);
    const PickDecision d = p.decide();
    ASSERT_NO_FATAL_FAILURE(check_invariants(p, d)) << "round " << round;
    const PickDecision again = p.decide();
    ASSERT_EQ(again.action, d.action) << "round " << round;
    ASSERT_EQ(again.member, d.member) << "round " << round;
    taken += d.action == PickAction::kTake;
    loaded += d.action == PickAction::kLoad;
    waited += d.action == PickAction::kWait;
    none += d.action == PickAction::kNoneEligible;
  }
  // Every outcome occurs often enough for the invariants to mean something.
  EXPECT_GT(taken, 1000);
  EXPECT_GT(loaded, 1000);
  EXPECT_GT(waited, 1000);
  EXPECT_GT(none, 100);
}

// Applies decisions to a pool until it says wait: slots and VRAM hold after every step, and a model
// warm nowhere gets exactly one load unless the request was passed over (single flight).
TEST(ModelPickInvariants, SequencesOfPicksNeverOverfillAPool) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2'000; ++round) {
    Pool p = random_pool(rng);
    for (MemberView& m : p.members) {
      m.tried = false;
      m.claimed_by_other = false;
    }
    std::vector<std::uint32_t> limit, model_limit, running, model_running;
    for (MemberView& m : p.members) {
      limit.push_back(1 + static_cast<std::uint32_t>(rng() % 3));
      model_limit.push_back(1 + static_cast<std::uint32_t>(rng() % 2));
      running.push_back(static_cast<std::uint32_t>(rng() % 2));
      model_running.push_back(m.model.loaded ? static_cast<std::uint32_t>(rng() % 2) : 0);
    }
    std::uint32_t warm_before = 0;
    for (const Facts& f : facts_of(p)) warm_before += f.warm;
    std::uint32_t loads = 0;
    for (int step = 0; step < 64; ++step) {
      for (std::size_t i = 0; i < p.members.size(); ++i) {
        p.members[i].in_flight = running[i];
        p.members[i].backend_free = running[i] < limit[i];
        p.members[i].model_free = model_running[i] < model_limit[i];
      }
      const PickDecision d = p.decide();
      ASSERT_NO_FATAL_FAILURE(check_invariants(p, d)) << "round " << round << " step " << step;
      if (d.action != PickAction::kTake && d.action != PickAction::kLoad) break;
      if (d.waiting_above) break;  // nobody else waits here: the replication trigger does not fire
      ++running[d.member];
      ++model_running[d.member];
      ASSERT_LE(running[d.member], limit[d.member]);
      ASSERT_LE(model_running[d.member], model_limit[d.member]);
      if (d.action == PickAction::kLoad) {
        ++loads;
        // What backend_pick does: the model is loading there now, the victims are gone.
        MemberView& m = p.members[d.member];
        m.model.loading_since_ns = kNow;
        std::vector<Resident> kept;
        std::size_t left = d.victims;
        for (const Resident& r : p.residents_after(d.member)) {
          if (left > 0 && r.in_flight == 0) {
            --left;
            continue;
          }
          kept.push_back(r);
        }
        p.residents[d.member] = kept;
      }
    }
    if (warm_before == 0 && p.waited_ns < p.rules.max_pass_over_ns) {
      EXPECT_LE(loads, 1U) << "round " << round;
    }
  }
}

// ---- the tiers, by hand ----

TEST(ModelPick, AWarmMemberWithAFreeSlotBeatsAnIdleColdOne) {
  Pool p;
  p.add(free_member(0));
  p.add(loaded_member(4));
  const PickDecision d = p.decide();
  EXPECT_EQ(d.action, PickAction::kTake);
  EXPECT_EQ(d.member, 1U);
  EXPECT_EQ(d.fit, Fit::kLoaded);
}

TEST(ModelPick, JoiningALoadBeatsStartingAnotherAndLoadedBeatsLoading) {
  Pool p;
  p.add(free_member());
  p.add(loading_member(1));
  EXPECT_EQ(p.decide().member, 1U);
  EXPECT_EQ(p.decide().fit, Fit::kLoading);
  p.add(loaded_member(3));
  EXPECT_EQ(p.decide().member, 2U);  // cost 0 beats the rest of a load, however busy
}

TEST(ModelPick, AFitIntoFreeVramBeatsAnEviction) {
  Pool p;
  p.add(free_member(), {other_model(20, 60)});  // 8 GB does not fit beside 20 of 24
  p.add(free_member(3), {other_model(10, 60)});
  const PickDecision d = p.decide();
  EXPECT_EQ(d.action, PickAction::kLoad);
  EXPECT_EQ(d.member, 1U);
  EXPECT_EQ(d.fit, Fit::kFree);
  EXPECT_EQ(d.victims, 0U);
  EXPECT_FALSE(d.waiting_above);
}

TEST(ModelPick, AnEvictionNamesTheLeastRecentlyUsedIdleModels) {
  Pool p;
  // 24 GB: a busy 6, an idle 6 used 10 s ago, an idle 6 used 50 s ago; the 8 GB model needs 2 more.
  p.add(free_member(), {other_model(6, 1, 2), other_model(6, 10), other_model(6, 50)});
  const PickDecision d = p.decide();
  ASSERT_EQ(d.action, PickAction::kLoad);
  EXPECT_EQ(d.fit, Fit::kEvict);
  ASSERT_EQ(d.victims, 1U);
  const auto after = p.residents_after(0);
  EXPECT_EQ(after[0].last_used_ns, kNow - 50 * kSecond);  // least recently used first: it goes
}

TEST(ModelPick, NoRoomIsNeverTakenAndAPassedOverRequestClaimsTheLeastBusy) {
  Pool p;
  p.add(free_member(3), {other_model(20, 1, 3)});  // busy 20 of 24: room once it drains
  p.add(free_member(1), {other_model(20, 1, 1)});
  p.add(free_member(0), {[] {
          Resident r = other_model(20, 1, 1);
          r.pinned = true;  // never drains into room
          return r;
        }()});
  PickDecision d = p.decide();
  EXPECT_EQ(d.action, PickAction::kWait);
  EXPECT_FALSE(d.claim);  // not passed over yet
  p.waited_ns = p.rules.max_pass_over_ns;
  d = p.decide();
  EXPECT_EQ(d.action, PickAction::kWait);
  EXPECT_EQ(d.claim, 1U);
  p.add(loaded_member()).backend_free = false;  // warm somewhere, if full: wait for it, claim nothing
  EXPECT_FALSE(p.decide().claim);
}

TEST(ModelPick, AWarmReplicaHoldsColdLoadsBackUntilTheQueueIsDeepOrTheRequestPassedOver) {
  Pool p;
  p.add(loaded_member()).model_free = false;
  p.add(free_member());
  PickDecision d = p.decide();
  EXPECT_EQ(d.action, PickAction::kLoad);
  EXPECT_EQ(d.member, 1U);
  EXPECT_EQ(d.waiting_above, p.rules.replicate_queue_depth);
  EXPECT_EQ(d.replicas, 1U);
  p.waited_ns = p.rules.max_pass_over_ns;
  EXPECT_FALSE(p.decide().waiting_above);
  p.max_replicas = 1;
  EXPECT_EQ(p.decide().action, PickAction::kWait);
}

TEST(ModelPick, TriedUnservedFullAndClaimedMembersAreNeverPicked) {
  Pool p;
  p.add(loaded_member()).tried = true;
  p.add(loaded_member()).serves = false;
  p.add(loaded_member()).backend_free = false;
  p.add(loaded_member()).claimed_by_other = true;
  p.max_replicas = 1;  // and no second replica either
  const PickDecision d = p.decide();
  EXPECT_EQ(d.action, PickAction::kWait);
  EXPECT_EQ(d.replicas, 3U);  // the tried one still holds the model
  for (MemberView& m : p.members) m.tried = true;
  EXPECT_EQ(p.decide().action, PickAction::kNoneEligible);
}

TEST(ModelPick, AModelLargerThanEveryGpuIsNoneEligible) {
  Pool p;
  p.add(free_member()).model.model_bytes = 30 * kGiga;
  p.add(free_member()).model.model_bytes = 30 * kGiga;
  EXPECT_EQ(p.decide().action, PickAction::kNoneEligible);
  p.members[1].model.vram.reset();  // unknown VRAM is never guessed: it may fit there
  EXPECT_EQ(p.decide().action, PickAction::kLoad);
}

TEST(ModelPick, TheStickyBackendWinsAmongWarmOnesOnly) {
  Pool p;
  p.add(loaded_member(0));
  p.add(loaded_member(5)).sticky = true;
  EXPECT_EQ(p.decide().member, 1U);
  Pool cold;
  cold.add(free_member(0));
  cold.add(free_member(0), {other_model(20, 60)}).sticky = true;  // must evict: costs more
  EXPECT_EQ(cold.decide().member, 0U);
}

TEST(ModelPick, ALostRaceGoesToTheNextBestThenToACold) {
  Pool p;
  p.add(loaded_member(0));
  p.add(loaded_member(1));
  p.add(free_member(0));
  PickDecision d = p.decide();
  ASSERT_EQ(d.action, PickAction::kTake);
  p.members[d.member].backend_free = false;  // what backend_pick marks when the slot went elsewhere
  const std::uint32_t first = d.member;
  d = p.decide();
  ASSERT_EQ(d.action, PickAction::kTake);
  EXPECT_NE(d.member, first);
  p.members[d.member].backend_free = false;
  d = p.decide();
  EXPECT_EQ(d.action, PickAction::kLoad);
  EXPECT_EQ(d.member, 2U);
}

TEST(ModelPick, ATooSmallScratchWaitsInsteadOfWritingPastIt) {
  Pool p;
  p.add(loaded_member());
  const PoolView v = p.view();
  lb::ModelAwarePolicy policy;
  EXPECT_EQ(model_pick(v, policy, lb::PickContext{}, {}).action, PickAction::kWait);
}

}  // namespace
}  // namespace corral::placement::model_pick_test
