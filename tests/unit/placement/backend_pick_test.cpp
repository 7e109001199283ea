// try_pick over a real snapshot with the time passed in, so the rules that depend on time are moved by
// the test instead of waited for: a cold model gets one load that later picks join (single flight), and
// only on routes that place models; a load that needs room forgets the idle model it evicts; a tried
// backend is never picked again; X-Corral-Backend leaves one candidate; a session sticks to its backend
// until the affinity TTL runs out; an ejection ends when its time comes; and a request that has waited
// max_pass_over may start a replica.
#include "placement/backend_pick.hpp"

#include <gtest/gtest.h>

#include "admission/admission_controller.hpp"
#include "common/hash.hpp"
#include "config/config_loader.hpp"

namespace corral::placement::backend_pick_test {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kSecondNs = 1'000'000'000;
constexpr std::int64_t kT0 = 5000 * kSecondNs;
const std::string kModel = "m:latest";

// Two backends in one pool, the registry's first snapshot, and a pick input for kModel.
struct Fleet {
  explicit Fleet(config::Policy policy = config::Policy::kModelAware, std::uint32_t num_parallel = 1)
      : Fleet(make_config(policy, num_parallel)) {}
  explicit Fleet(config::Config c) : config(std::move(c)), admission(config), registry(config, admission) {
    snap = registry.current();
    in.snapshot = snap;
    in.tried.assign(2, false);
    in.model_key = kModel;
    in.model_hash = common::hash_key(kModel);
    in.endpoint = routing::Endpoint::kGenerate;
  }
  static config::Config make_config(config::Policy policy, std::uint32_t num_parallel) {
    config::Config c = config::quick_config("127.0.0.1:0", {"http://127.0.0.1:1", "http://127.0.0.1:2"}, 1);
    c.pools[0].policy = policy;
    for (auto& b : c.pools[0].backends) b.num_parallel = num_parallel;
    c.affinity = config::AffinityConfig{};
    c.affinity->ttl = 1min;
    return c;
  }
  upstream::Backend& backend(std::size_t i) { return *snap->pools[0].members[i]->backend; }
  upstream::ModelState& model_on(std::size_t i) { return *backend(i).catalog.state(in.model_hash, kModel); }
  admission::PoolQueue& queue() { return *snap->pools[0].queue; }
  admission::Lease pick(std::int64_t now, admission::DemandTicket* ticket = nullptr) {
    return try_pick(in, queue(), ticket, now);
  }

  config::Config config;
  admission::AdmissionController admission;
  upstream::BackendRegistry registry;
  upstream::SnapshotPtr snap;
  PickInput in;
};

TEST(BackendPick, AColdModelLoadsOnceAndLaterPicksJoinTheLoad) {
  Fleet f(config::Policy::kModelAware, /*num_parallel=*/2);
  admission::Lease first = f.pick(kT0);
  ASSERT_TRUE(first);
  const std::uint32_t b = first.backend();
  EXPECT_EQ(f.model_on(b).loading_since_ns.load(), kT0);
  admission::Lease second = f.pick(kT0 + 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second.backend(), b);  // joins the load instead of starting a second one
  admission::Lease third = f.pick(kT0 + 2);
  EXPECT_FALSE(third);  // its num_parallel is used up and the model is warm there: wait
  EXPECT_FALSE(third.no_eligible_backend());
  EXPECT_EQ(f.model_on(1 - b).loading_since_ns.load(), 0);
}

TEST(BackendPick, OnlyRoutesThatPlaceModelsStartALoad) {
  Fleet f;
  f.in.endpoint = routing::Endpoint::kShow;  // names a model, runs none: any backend with a slot
  admission::Lease shown = f.pick(kT0);
  ASSERT_TRUE(shown);
  EXPECT_EQ(f.model_on(shown.backend()).loading_since_ns.load(), 0);
  shown.release();
  f.in.endpoint = routing::Endpoint::kOpenAIChat;
  admission::Lease chat = f.pick(kT0);
  ASSERT_TRUE(chat);
  EXPECT_EQ(f.model_on(chat.backend()).loading_since_ns.load(), kT0);
}

TEST(BackendPick, ALoadThatNeedsRoomForgetsTheIdleModelItEvicts) {
  config::Config c = Fleet::make_config(config::Policy::kModelAware, 1);
  for (auto& b : c.pools[0].backends) b.vram = 24'000'000'000;
  Fleet f(c);
  const std::uint64_t other = common::hash_key("other:latest");
  for (std::size_t i = 0; i < 2; ++i) {
    f.model_on(i).disk_bytes = 8'000'000'000;
    upstream::ModelState& o = *f.backend(i).catalog.state(other, "other:latest");
    o.disk_bytes = 20'000'000'000;  // 20 of 24 GB: the 8 GB model needs it gone
    o.loaded = true;
    o.loaded_at_ns = kT0 - 3600 * kSecondNs;
  }
  admission::Lease lease = f.pick(kT0);
  ASSERT_TRUE(lease);
  const std::uint32_t b = lease.backend();
  EXPECT_EQ(f.model_on(b).loading_since_ns.load(), kT0);
  EXPECT_FALSE(f.backend(b).catalog.find(other)->loaded.load());  // Ollama will evict it: not warm now
  EXPECT_TRUE(f.backend(1 - b).catalog.find(other)->loaded.load());
}

TEST(BackendPick, ATriedBackendIsNeverPickedAgain) {
  for (const auto policy : {config::Policy::kModelAware, config::Policy::kLeastConnections}) {
    Fleet f(policy);
    f.model_on(0).loaded = true;
    f.model_on(1).loaded = true;
    f.in.tried[0] = true;
    admission::Lease lease = f.pick(kT0);
    ASSERT_TRUE(lease);
    EXPECT_EQ(lease.backend(), 1U);
    lease.release();
    f.in.tried[1] = true;
    EXPECT_TRUE(f.pick(kT0).no_eligible_backend()) << config::to_string(policy);
  }
}

TEST(BackendPick, XCorralBackendLeavesOneCandidate) {
  for (const auto policy : {config::Policy::kModelAware, config::Policy::kLeastConnections}) {
    for (std::size_t named = 0; named < 2; ++named) {
      Fleet f(policy);
      f.in.target_backend = f.backend(named).name;
      admission::Lease lease = f.pick(kT0);
      ASSERT_TRUE(lease);
      EXPECT_EQ(lease.backend(), named) << config::to_string(policy);
    }
  }
}

// The model warm on the other backend must not hold back a load on the one X-Corral-Backend names: the
// recount under the decision lock counts the same members the decision did (those serving the request).
TEST(BackendPick, XCorralBackendLoadsThereWhileTheModelIsWarmElsewhere) {
  for (std::size_t named = 0; named < 2; ++named) {
    Fleet f(config::Policy::kModelAware);
    f.model_on(1 - named).loaded = true;
    f.in.target_backend = f.backend(named).name;
    admission::Lease lease = f.pick(kT0);
    ASSERT_TRUE(lease) << "named " << named;
    EXPECT_EQ(lease.backend(), named);
    EXPECT_EQ(f.model_on(named).loading_since_ns.load(), kT0);
  }
}

TEST(BackendPick, ASessionSticksUntilTheAffinityTtlRunsOut) {
  for (const auto policy : {config::Policy::kModelAware, config::Policy::kLeastConnections}) {
    Fleet f(policy, /*num_parallel=*/4);
    f.model_on(0).loaded = true;
    f.model_on(1).loaded = true;
    // Backend 0 is the busier one, so only the session sends requests there.
    admission::Lease elsewhere = f.queue().try_acquire(0, f.snap->pools[0].slots[0]);
    ASSERT_TRUE(elsewhere);
    f.in.session = common::hash_key("session-1");
    const std::chrono::steady_clock::time_point t0{std::chrono::nanoseconds(kT0)};
    f.snap->affinity->remember(*f.in.session, f.backend(0).affinity_id, t0);
    {
      admission::Lease lease = f.pick(kT0 + 30 * kSecondNs);  // refreshes the TTL to t0 + 90 s
      ASSERT_TRUE(lease);
      EXPECT_EQ(lease.backend(), 0U) << config::to_string(policy);
    }
    admission::Lease lease = f.pick(kT0 + 91 * kSecondNs);
    ASSERT_TRUE(lease);
    EXPECT_EQ(lease.backend(), 1U) << config::to_string(policy);
  }
}

TEST(BackendPick, AnEjectionEndsWhenItsTimeComes) {
  Fleet f;
  f.model_on(0).loaded = true;
  f.model_on(1).loaded = true;
  f.snap->pools[0].members[0]->ejected_until_ns = kT0 + 10 * kSecondNs;
  admission::Lease held = f.pick(kT0);
  ASSERT_TRUE(held);
  EXPECT_EQ(held.backend(), 1U);
  admission::Lease waits = f.pick(kT0 + 9 * kSecondNs);  // backend 1's model slot is taken, 0 still out
  EXPECT_FALSE(waits);
  EXPECT_FALSE(waits.no_eligible_backend());
  admission::Lease back = f.pick(kT0 + 10 * kSecondNs);
  ASSERT_TRUE(back);
  EXPECT_EQ(back.backend(), 0U);
}

TEST(BackendPick, ARequestPassedOverStartsAReplica) {
  Fleet f;
  f.model_on(0).loaded = true;
  admission::Lease busy = f.pick(kT0);  // the one warm backend's one model slot
  ASSERT_TRUE(busy);
  ASSERT_EQ(busy.backend(), 0U);
  admission::DemandTicket ticket(f.in.model_hash, kT0);
  EXPECT_FALSE(f.pick(kT0 + 1 * kSecondNs, &ticket));  // one waiting is no reason for a second replica
  EXPECT_EQ(f.queue().demand().waiting(f.in.model_hash), 1U);
  const std::int64_t pass_over = f.config.placement.max_pass_over.count();
  admission::Lease replica = f.pick(kT0 + pass_over, &ticket);
  ASSERT_TRUE(replica);
  EXPECT_EQ(replica.backend(), 1U);
  EXPECT_EQ(f.model_on(1).loading_since_ns.load(), kT0 + pass_over);
}

}  // namespace
}  // namespace corral::placement::backend_pick_test
