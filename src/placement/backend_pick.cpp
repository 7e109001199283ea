// Two paths, one accept predicate (PickFilter). Requests without a model, management calls and pools with
// another policy: every accepted backend with a free slot is a candidate (as before model placement
// existed), pulls also need the backend's pull slot. A model in a model_aware pool, on a route whose row
// places models (the route table's places_model column): this file reads the pool into a
// placement::PoolView and applies what placement::model_pick decides; a decision to start a cold load is
// applied under the pool's load-decision lock and marked "loading" before the lock is dropped, so
// concurrent picks see the load and join it instead of starting their own (single flight).
#include "placement/backend_pick.hpp"

#include <chrono>
#include <mutex>
#include <random>

#include "admission/pick_and_reserve.hpp"
#include "placement/model_pick.hpp"
#include "placement/placement_view.hpp"

namespace corral::placement {
namespace {

std::uint64_t random_bits() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// What the policy sees of the request. Random bits only where they can matter: model_aware breaks ties by
// the rendezvous hash of model and backend, and the model path always has a model.
lb::PickContext pick_context(const PickInput& in, bool draw_random) {
  lb::PickContext ctx;
  ctx.model_key = in.model_key;
  ctx.has_affinity_hash = in.hash_on.has_value();
  ctx.affinity_hash = in.hash_on.value_or(0);
  if (draw_random) ctx.random = random_bits();
  return ctx;
}

// The accept predicate of both paths (Pingora's select_with `accept`): whether a member may take this
// request at all. Backends whose inventory lacks the model are skipped while some eligible backend may
// have it; when none has it, every backend stays a candidate so the client gets Ollama's own "not found".
// Management calls come with their backend chosen by the fan-out (management_fanout.hpp): a pull or
// create adds the model, a copy or delete finds out itself (Ollama's 404), so no inventory filter.
class PickFilter final {
 public:
  PickFilter(const PickInput& in, const upstream::PoolState& pool, std::int64_t now) : in_(in), now_(now) {
    if (in.model_hash == 0 || routing::fans_out(in.endpoint)) return;
    for (const auto& m : pool.members) {
      if (m->eligible(now) && m->backend->catalog.may_have(in.model_hash)) {
        by_inventory_ = true;
        return;
      }
    }
  }
  /// Eligible now, the backend X-Corral-Backend names (when it names one), and the model in its inventory.
  [[nodiscard]] bool serves(const upstream::PoolMember& m) const {
    if (!m.eligible(now_)) return false;
    if (!in_.target_backend.empty() && m.backend->name != in_.target_backend) return false;
    return !by_inventory_ || m.backend->catalog.may_have(in_.model_hash);
  }
  [[nodiscard]] bool tried(std::size_t i) const { return i < in_.tried.size() && in_.tried[i]; }
  [[nodiscard]] bool accepts(std::size_t i, const upstream::PoolMember& m) const { return !tried(i) && serves(m); }

 private:
  const PickInput& in_;
  std::int64_t now_;
  bool by_inventory_ = false;
};

// The affinity id of the backend the session was sent to before, while the table remembers it.
std::optional<std::uint64_t> sticky_id(const PickInput& in, std::int64_t now) {
  if (!in.session || !in.snapshot->affinity) return std::nullopt;
  const std::chrono::steady_clock::time_point at{std::chrono::nanoseconds(now)};
  return in.snapshot->affinity->lookup(*in.session, at);
}

// The session's sticky backend when it is a candidate and has a slot; else an empty lease.
admission::Lease sticky_lease(const PickInput& in, admission::PoolQueue& queue,
                              std::span<const lb::Candidate> candidates,
                              std::span<const std::shared_ptr<admission::Slots>> extra_slots, std::int64_t now) {
  const auto sticky = sticky_id(in, now);
  if (!sticky) return {};
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  for (const lb::Candidate& c : candidates) {
    if (pool.members[c.backend]->backend->affinity_id != *sticky) continue;
    return queue.try_acquire(c.backend, pool.slots[c.backend],
                             c.backend < extra_slots.size() ? extra_slots[c.backend] : nullptr);
  }
  return {};
}

admission::Lease plain_pick(const PickInput& in, admission::PoolQueue& queue, std::int64_t now) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const bool pull = in.endpoint == routing::Endpoint::kPull;
  // Reused per thread: a pick allocates nothing once the vectors have grown to the pool's size.
  thread_local std::vector<lb::Candidate> candidates;
  thread_local std::vector<std::shared_ptr<admission::Slots>> extra_slots;
  candidates.clear();
  extra_slots.assign(pull ? pool.members.size() : 0, nullptr);
  const PickFilter filter(in, pool, now);
  bool any_eligible = false;
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if (!filter.accepts(i, m)) continue;
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
  if (auto lease = sticky_lease(in, queue, candidates, extra_slots, now)) return lease;
  return admission::pick_and_reserve(queue, *pool.policy, candidates, pool.slots, pick_context(in, true), extra_slots);
}

// The model-aware pick's buffers, reused per thread: a pick allocates nothing once they have grown to the
// pool's size. Beside the pure view: each member's model slot counter (the lease takes one) and the model
// table its residents' tags index (a load forgets the residents it evicts).
struct ModelPickBuffers {
  std::vector<MemberView> members;
  std::vector<Resident> residents;
  std::vector<lb::Candidate> scratch;
  std::vector<std::shared_ptr<admission::Slots>> model_slots;
  std::vector<std::shared_ptr<const upstream::ModelCatalog::Table>> tables;
};

// Member `i`'s facts into buf.members[i]. Creates the model's state there on first sight and sets its slot
// limit from the backend's num_parallel. The claim table is read only for members the request may still
// take (it locks while any claim stands). ModelCatalog::state builds a new state before it looks for the
// existing one, so find() goes first: once the model has been seen there, reading allocates nothing.
void read_member(const PickInput& in, admission::PoolQueue& queue, std::size_t i, bool tried,
                 std::optional<std::uint64_t> sticky, ModelPickBuffers& buf) {
  const upstream::Snapshot& snap = *in.snapshot;
  const upstream::PoolState& pool = snap.pools[in.pool];
  const upstream::PoolMember& m = *pool.members[i];
  const config::BackendConfig& bc = pool.config->backends[i];
  std::shared_ptr<upstream::ModelState> state = m.backend->catalog.find(in.model_hash);
  if (!state) state = m.backend->catalog.state(in.model_hash, in.model_key);
  state->slots->limit.store(bc.num_parallel, std::memory_order_relaxed);
  MemberView& v = buf.members[i];
  v.serves = true;
  v.tried = tried;
  v.backend_free = m.backend->slots->has_free();
  v.model_free = state->slots->has_free();
  v.claimed_by_other = !tried && queue.demand().claimed_by_other(i, in.model_hash);
  v.sticky = sticky && m.backend->affinity_id == *sticky;
  v.weight = m.weight;
  v.in_flight = m.backend->slots->in_flight.load(std::memory_order_relaxed);
  v.model = worker_facts(*m.backend, bc, *state, snap.config->placement.load_rate);
  buf.model_slots[i] = state->slots;
  // Where the model is loaded or loading, the other models there change nothing (placement::assess does
  // not look at them), so the common pick does not read them (a rule lookup per model, for `pinned`).
  if (v.model.loaded || v.model.loading_since_ns != 0) return;
  buf.tables[i] = m.backend->catalog.table();
  v.first_resident = static_cast<std::uint32_t>(buf.residents.size());
  append_residents(snap, *buf.tables[i], in.model_hash, buf.residents);
  v.resident_count = static_cast<std::uint32_t>(buf.residents.size()) - v.first_resident;
}

PoolView read_pool(const PickInput& in, admission::PoolQueue& queue, std::int64_t now, std::int64_t waited,
                   std::optional<std::uint64_t> sticky, ModelPickBuffers& buf) {
  const upstream::Snapshot& snap = *in.snapshot;
  const upstream::PoolState& pool = snap.pools[in.pool];
  const std::size_t n = pool.members.size();
  buf.members.assign(n, MemberView{});
  buf.residents.clear();
  buf.scratch.resize(n);
  buf.model_slots.assign(n, nullptr);
  buf.tables.assign(n, nullptr);
  const PickFilter filter(in, pool, now);
  for (std::size_t i = 0; i < n; ++i) {
    if (filter.serves(*pool.members[i])) read_member(in, queue, i, filter.tried(i), sticky, buf);
  }
  const std::size_t rule = snap.matcher.rule_for(in.model_key);
  PoolView view{buf.members, buf.residents, now, waited, rules_of(snap.config->placement), std::nullopt};
  if (rule != routing::ModelMatcher::npos) view.max_replicas = snap.config->models[rule].max_replicas;
  return view;
}

// Members that serve this request with the model warm, counted afresh under the decision lock: the same
// members the decision counted, so a request that names its backend (X-Corral-Backend) is not sent round
// again, and then to wait, by a replica on a backend it may not use.
std::uint32_t count_replicas(const PickInput& in, std::int64_t now) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const PickFilter filter(in, pool, now);
  std::uint32_t n = 0;
  for (const auto& m : pool.members) {
    if (filter.serves(*m) && m->backend->catalog.warm(in.model_hash)) ++n;
  }
  return n;
}

// A granted decision's effects: the model's last use there; for a load, "loading" (so later picks join
// it) and our own eviction forecast: the server drops these idle models to make room, so stop calling
// them warm now.
void apply_decision(const PickInput& in, const PickDecision& d, const PoolView& view, std::int64_t now,
                    const ModelPickBuffers& buf) {
  const auto state = in.snapshot->pools[in.pool].members[d.member]->backend->catalog.find(in.model_hash);
  if (!state) return;
  state->last_used_ns.store(now, std::memory_order_relaxed);
  if (d.action != PickAction::kLoad) return;
  if (!state->loaded.load(std::memory_order_relaxed)) {
    std::int64_t expected = 0;
    (void)state->loading_since_ns.compare_exchange_strong(expected, now, std::memory_order_relaxed);
  }
  if (d.fit != Fit::kEvict) return;
  const MemberView& m = view.members[d.member];
  std::size_t left = d.victims;
  for (const Resident& r : view.residents.subspan(m.first_resident, m.resident_count)) {
    if (left == 0) break;
    if (r.in_flight != 0) continue;
    (*buf.tables[d.member])[r.tag].second->loaded.store(false, std::memory_order_relaxed);
    --left;
  }
}

// The request waits for a slot: counted in its model's queued demand (once it has a ticket, i.e. queued),
// claiming `claim` when it was passed over.
admission::Lease wait_for_slot(admission::PoolQueue& queue, admission::DemandTicket* ticket,
                               std::optional<std::uint32_t> claim) {
  if (ticket == nullptr) return {};
  ticket->wait_in(queue.demand(), queue.shared_from_this());
  if (claim) ticket->claim(*claim);
  return {};
}

admission::Lease pick_for_model(const PickInput& in, admission::PoolQueue& queue, admission::DemandTicket* ticket,
                                std::int64_t now) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const std::int64_t waited = ticket != nullptr ? now - ticket->started_ns() : 0;
  const std::optional<std::uint64_t> sticky = sticky_id(in, now);
  const lb::PickContext ctx = pick_context(in, false);
  thread_local ModelPickBuffers buf;
  std::optional<std::uint32_t> claim;
  // At most two passes: a second one when another pick started a load while this one waited for the
  // decision lock, so this request can join that load.
  for (int pass = 0; pass < 2; ++pass) {
    const PoolView view = read_pool(in, queue, now, waited, sticky, buf);
    std::unique_lock<std::mutex> decision;  // from a load decision until its slot is taken and marked
    for (;;) {
      const PickDecision d = model_pick(view, *pool.policy, ctx, buf.scratch);
      claim = d.claim;
      if (d.action == PickAction::kNoneEligible) return admission::Lease::none_eligible();
      if (d.action == PickAction::kWait) return wait_for_slot(queue, ticket, claim);
      if (d.action == PickAction::kLoad && !decision.owns_lock()) {
        if (d.waiting_above && queue.demand().waiting(in.model_hash) <= *d.waiting_above) {
          return wait_for_slot(queue, ticket, claim);
        }
        decision = std::unique_lock(queue.demand().load_decision());
        if (count_replicas(in, now) > d.replicas) break;  // someone started a load meanwhile: look again
      }
      admission::Lease lease = queue.try_acquire(d.member, pool.slots[d.member], buf.model_slots[d.member]);
      if (!lease) {
        buf.members[d.member].backend_free = false;  // lost the race for its slot: the next best
        continue;
      }
      apply_decision(in, d, view, now, buf);
      return lease;
    }
  }
  return wait_for_slot(queue, ticket, claim);
}

}  // namespace

admission::Lease try_pick(const PickInput& in, admission::PoolQueue& queue, admission::DemandTicket* ticket) {
  return try_pick(in, queue, ticket, upstream::steady_ns());
}

admission::Lease try_pick(const PickInput& in, admission::PoolQueue& queue, admission::DemandTicket* ticket,
                          std::int64_t now_ns) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const bool places_model = in.model_hash != 0 && routing::traits(in.endpoint).places_model;
  if (!places_model || pool.config->policy != config::Policy::kModelAware) {
    return plain_pick(in, queue, now_ns);
  }
  return pick_for_model(in, queue, ticket, now_ns);
}

admission::TryPick make_try_pick(std::shared_ptr<const PickInput> input) {
  auto ticket = std::make_shared<admission::DemandTicket>(input->model_hash, upstream::steady_ns());
  return [input = std::move(input), ticket = std::move(ticket)](admission::PoolQueue& queue) {
    return try_pick(*input, queue, ticket.get());
  };
}

}  // namespace corral::placement
