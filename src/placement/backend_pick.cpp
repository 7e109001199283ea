// Two paths. Requests without a model, management calls and pools with another policy: every eligible
// backend with a free slot is a candidate (as before model placement existed), pulls also need the
// backend's pull slot. Inference in a model_aware pool: placement (placement/placement.hpp) prices each
// backend; warm backends with a free model slot are tried first; a cold backend only when no backend has
// the model yet or the replication / pass-over rule allows another replica, decided under the pool's
// load-decision lock and marked "loading" before the lock is dropped, so concurrent picks see the load
// and join it instead of starting their own (single flight).
#include "placement/backend_pick.hpp"

#include <random>

#include "admission/pick_and_reserve.hpp"
#include "placement/placement_view.hpp"

namespace corral::placement {
namespace {

std::uint64_t random_bits() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

bool places_model(routing::Endpoint e) {
  switch (e) {
    case routing::Endpoint::kShow:
    case routing::Endpoint::kPull:
    case routing::Endpoint::kPush:
    case routing::Endpoint::kCreate:
    case routing::Endpoint::kDelete:
    case routing::Endpoint::kCopy:
    case routing::Endpoint::kBlobs:
    case routing::Endpoint::kModelGet:
      return false;
    default:
      return true;
  }
}

lb::PickContext pick_context(const PickInput& in) {
  lb::PickContext ctx;
  ctx.model_key = in.model_key;
  ctx.has_affinity_hash = in.hash_on.has_value();
  ctx.affinity_hash = in.hash_on.value_or(0);
  ctx.random = random_bits();
  return ctx;
}

// The session's sticky backend when it is a candidate and has a slot; else an empty lease.
admission::Lease sticky_lease(const PickInput& in, admission::PoolQueue& queue, std::span<const lb::Candidate> candidates,
                              std::span<const std::shared_ptr<admission::Slots>> model_slots) {
  if (!in.session || !in.snapshot->affinity) return {};
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const auto sticky = in.snapshot->affinity->lookup(*in.session, std::chrono::steady_clock::now());
  if (!sticky) return {};
  for (const lb::Candidate& c : candidates) {
    if (pool.members[c.backend]->backend->affinity_id != *sticky) continue;
    return queue.try_acquire(c.backend, pool.slots[c.backend],
                             c.backend < model_slots.size() ? model_slots[c.backend] : nullptr);
  }
  return {};
}

admission::Lease plain_pick(const PickInput& in, admission::PoolQueue& queue) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const std::int64_t now = upstream::steady_ns();
  const bool pull = in.endpoint == routing::Endpoint::kPull;
  // Reused per thread: a pick allocates nothing once the vectors have grown to the pool's size.
  thread_local std::vector<lb::Candidate> candidates;
  thread_local std::vector<std::shared_ptr<admission::Slots>> extra_slots;
  candidates.clear();
  extra_slots.assign(pull ? pool.members.size() : 0, nullptr);
  bool any_eligible = false;
  // Backends whose inventory lacks the model are skipped while some eligible backend may have it; when
  // none has it, every backend stays a candidate so the client gets Ollama's own "not found" answer.
  // Management calls come with their backend chosen by the fan-out (management_fanout.hpp): a pull or
  // create adds the model, a copy or delete finds out itself (Ollama's 404). No inventory filter.
  bool any_has_model = in.model_hash == 0 || routing::fans_out(in.endpoint);
  for (std::size_t i = 0; i < pool.members.size() && !any_has_model; ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    any_has_model = m.eligible(now) && m.backend->catalog.may_have(in.model_hash);
  }
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if ((i < in.tried.size() && in.tried[i]) || !m.eligible(now)) continue;
    if (!in.target_backend.empty() && m.backend->name != in.target_backend) continue;
    if (any_has_model && in.model_hash != 0 && !routing::fans_out(in.endpoint) && !m.backend->catalog.may_have(in.model_hash)) continue;
    any_eligible = true;
    const admission::Slots& slots = *m.backend->slots;
    if (!slots.has_free()) continue;
    if (pull) {
      if (!m.backend->catalog.pull_slots->has_free()) continue;
      extra_slots[i] = m.backend->catalog.pull_slots;
    }
    candidates.push_back(lb::Candidate{static_cast<std::uint32_t>(i), m.weight,
                                       slots.in_flight.load(std::memory_order_relaxed), 0,
                                       in.model_hash != 0 && m.backend->catalog.warm(in.model_hash)});
  }
  if (!any_eligible) return admission::Lease::none_eligible();
  if (candidates.empty()) return {};
  if (auto lease = sticky_lease(in, queue, candidates, extra_slots)) return lease;
  return admission::pick_and_reserve(queue, *pool.policy, candidates, pool.slots, pick_context(in), extra_slots);
}

struct MemberView {
  std::shared_ptr<upstream::ModelState> state;
  std::shared_ptr<const upstream::ModelCatalog::Table> table;  // keeps the residents' states alive
  placement::Assessment assessment;
};

MemberView view_member(const PickInput& in, std::size_t i, std::int64_t now, bool passed_over,
                       std::vector<placement::Resident>& residents) {
  const upstream::Snapshot& snap = *in.snapshot;
  const upstream::PoolState& pool = snap.pools[in.pool];
  const upstream::PoolMember& m = *pool.members[i];
  const config::BackendConfig& bc = pool.config->backends[i];
  MemberView v;
  v.state = m.backend->catalog.state(in.model_hash, in.model_key);
  v.state->slots->limit.store(bc.num_parallel, std::memory_order_relaxed);
  const placement::WorkerFacts facts = placement::worker_facts(*m.backend, bc, *v.state, snap.config->placement.load_rate);
  v.table = m.backend->catalog.table();
  placement::gather_residents(snap, *v.table, in.model_hash, residents);
  const placement::Rules rules = placement::rules_of(snap.config->placement);
  v.assessment = placement::assess(facts, residents, now, passed_over, rules);
  return v;
}

// Our own eviction forecast: the server will drop these to make room, so stop calling them warm now.
void forget_victims(const MemberView& v, std::span<const placement::Resident> residents) {
  std::size_t left = v.assessment.victims;
  for (const placement::Resident& r : residents) {
    if (left == 0) break;
    if (r.in_flight != 0) continue;
    (*v.table)[r.tag].second->loaded.store(false, std::memory_order_relaxed);
    --left;
  }
}

std::uint32_t count_replicas(const PickInput& in, std::int64_t now) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  std::uint32_t n = 0;
  for (const auto& m : pool.members) {
    if (!m->eligible(now)) continue;
    if (m->backend->catalog.warm(in.model_hash)) ++n;
  }
  return n;
}

enum class Pass { kDone, kAgain };

admission::Lease model_pick(const PickInput& in, admission::PoolQueue& queue, admission::DemandTicket* ticket) {
  const upstream::Snapshot& snap = *in.snapshot;
  const upstream::PoolState& pool = snap.pools[in.pool];
  const placement::Rules rules = placement::rules_of(snap.config->placement);
  const std::size_t rule = snap.matcher.rule_for(in.model_key);
  const std::optional<std::uint32_t> max_replicas =
      rule == routing::ModelMatcher::npos ? std::nullopt : snap.config->models[rule].max_replicas;
  placement::ClaimChoice claim;  // where a passed-over request drains a backend for its model
  auto wait = [&]() -> admission::Lease {
    if (ticket != nullptr) ticket->wait_in(queue.demand(), queue.shared_from_this());
    if (ticket != nullptr && claim.best()) ticket->claim(*claim.best());
    return {};
  };

  thread_local std::vector<lb::Candidate> candidates;
  thread_local std::vector<lb::Candidate> tier;
  thread_local std::vector<std::shared_ptr<admission::Slots>> model_slots;
  thread_local std::vector<placement::Resident> residents;
  // At most two passes: a second one when another pick started a load while this one waited for the
  // decision lock, so this request can join that load.
  for (int pass = 0; pass < 2; ++pass) {
    const std::int64_t now = upstream::steady_ns();
    const std::int64_t waited = ticket != nullptr ? now - ticket->started_ns() : 0;
    const bool passed_over = waited >= rules.max_pass_over_ns;
    candidates.clear();
    claim.clear();
    model_slots.assign(pool.members.size(), nullptr);
    bool any_has_model = false;
    for (std::size_t i = 0; i < pool.members.size() && !any_has_model; ++i) {
      const upstream::PoolMember& m = *pool.members[i];
      any_has_model = m.eligible(now) && m.backend->catalog.may_have(in.model_hash);
    }
    bool any_eligible = false;
    std::uint32_t replicas = 0;
    for (std::size_t i = 0; i < pool.members.size(); ++i) {
      const upstream::PoolMember& m = *pool.members[i];
      if (!m.eligible(now)) continue;
      if (!in.target_backend.empty() && m.backend->name != in.target_backend) continue;
      if (any_has_model && !m.backend->catalog.may_have(in.model_hash)) continue;
      const MemberView v = view_member(in, i, now, passed_over, residents);
      if (v.assessment.fit == placement::Fit::kTooLarge) continue;
      const bool warm = v.assessment.fit == placement::Fit::kLoaded || v.assessment.fit == placement::Fit::kLoading;
      if (warm) ++replicas;
      if (i < in.tried.size() && in.tried[i]) continue;
      any_eligible = true;
      if (v.assessment.fit == placement::Fit::kNoRoom) {
        if (passed_over && v.assessment.drainable) claim.offer(i, m.backend->slots->in_flight.load(std::memory_order_relaxed));
        continue;
      }
      if (queue.demand().claimed_by_other(i, in.model_hash)) continue;  // drained for a passed-over request
      if (!m.backend->slots->has_free() || !v.state->slots->has_free()) continue;
      candidates.push_back(lb::Candidate{static_cast<std::uint32_t>(i), m.weight,
                                         m.backend->slots->in_flight.load(std::memory_order_relaxed), 0, warm,
                                         v.assessment.cost_ns});
      model_slots[i] = v.state->slots;
    }
    if (!any_eligible) return admission::Lease::none_eligible();
    if (replicas > 0) claim.clear();  // its model is warm somewhere: it waits for those slots, not passed over
    if (candidates.empty()) return wait();

    tier.clear();
    for (const lb::Candidate& c : candidates) {
      if (c.warm) tier.push_back(c);
    }
    if (!tier.empty()) {
      admission::Lease lease = sticky_lease(in, queue, tier, model_slots);
      if (!lease) lease = admission::pick_and_reserve(queue, *pool.policy, tier, pool.slots, pick_context(in), model_slots);
      if (lease) {
        if (auto s = pool.members[lease.backend()]->backend->catalog.find(in.model_hash)) {
          s->last_used_ns.store(now, std::memory_order_relaxed);
        }
        return lease;
      }
    }
    const std::uint32_t waiting = queue.demand().waiting(in.model_hash);
    if (replicas > 0 && !placement::may_start_load(replicas, max_replicas, waiting, waited, rules)) return wait();

    std::lock_guard decision(queue.demand().load_decision());
    if (count_replicas(in, now) > replicas) continue;  // someone started a load meanwhile: look again
    tier.clear();
    for (const lb::Candidate& c : candidates) {
      if (!c.warm) tier.push_back(c);
    }
    if (tier.empty()) return wait();
    admission::Lease lease = admission::pick_and_reserve(queue, *pool.policy, tier, pool.slots, pick_context(in), model_slots);
    if (!lease) return wait();
    const MemberView v = view_member(in, lease.backend(), now, passed_over, residents);
    v.state->last_used_ns.store(now, std::memory_order_relaxed);
    if (!v.state->loaded.load(std::memory_order_relaxed)) {
      std::int64_t expected = 0;
      (void)v.state->loading_since_ns.compare_exchange_strong(expected, now, std::memory_order_relaxed);
    }
    if (v.assessment.fit == placement::Fit::kEvict) forget_victims(v, residents);
    return lease;
  }
  return wait();
}

}  // namespace

admission::Lease try_pick(const PickInput& in, admission::PoolQueue& queue, admission::DemandTicket* ticket) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  if (in.model_hash == 0 || !places_model(in.endpoint) || pool.config->policy != config::Policy::kModelAware) {
    return plain_pick(in, queue);
  }
  return model_pick(in, queue, ticket);
}

admission::TryPick make_try_pick(std::shared_ptr<const PickInput> input) {
  auto ticket = std::make_shared<admission::DemandTicket>(input->model_hash, upstream::steady_ns());
  return [input = std::move(input), ticket = std::move(ticket)](admission::PoolQueue& queue) {
    return try_pick(*input, queue, ticket.get());
  };
}

}  // namespace corral::placement
