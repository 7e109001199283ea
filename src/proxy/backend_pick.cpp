#include "proxy/backend_pick.hpp"

#include <random>

#include "admission/pick_and_reserve.hpp"

namespace corral::proxy {
namespace {

std::uint64_t random_bits() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace

admission::Lease try_pick(const PickInput& in, admission::PoolQueue& queue) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const std::int64_t now = upstream::steady_ns();
  // Reused per thread: a pick allocates nothing once the vector has grown to the pool's size.
  thread_local std::vector<lb::Candidate> candidates;
  candidates.clear();
  bool any_eligible = false;
  // Backends whose inventory lacks the model are skipped while some eligible backend may have it; when
  // none has it, every backend stays a candidate so the client gets Ollama's own "not found" answer.
  bool any_has_model = in.model_hash == 0;
  for (std::size_t i = 0; i < pool.members.size() && !any_has_model; ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    any_has_model = m.eligible(now) && m.backend->catalog.may_have(in.model_hash);
  }
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if ((i < in.tried.size() && in.tried[i]) || !m.eligible(now)) continue;
    if (any_has_model && in.model_hash != 0 && !m.backend->catalog.may_have(in.model_hash)) continue;
    any_eligible = true;
    const admission::Slots& slots = *m.backend->slots;
    if (!slots.has_free()) continue;
    candidates.push_back(lb::Candidate{static_cast<std::uint32_t>(i), m.weight,
                                       slots.in_flight.load(std::memory_order_relaxed), 0,
                                       in.model_hash != 0 && m.backend->catalog.warm(in.model_hash)});
  }
  if (!any_eligible) return admission::Lease::none_eligible();
  if (candidates.empty()) return {};

  if (in.session && in.snapshot->affinity) {
    if (auto sticky = in.snapshot->affinity->lookup(*in.session, std::chrono::steady_clock::now())) {
      for (const lb::Candidate& c : candidates) {
        if (pool.members[c.backend]->backend->affinity_id != *sticky) continue;
        if (auto lease = queue.try_acquire(c.backend, pool.slots[c.backend])) return lease;
        break;
      }
    }
  }
  lb::PickContext ctx;
  ctx.model_key = in.model_key;
  ctx.has_affinity_hash = in.hash_on.has_value();
  ctx.affinity_hash = in.hash_on.value_or(0);
  ctx.random = random_bits();
  return admission::pick_and_reserve(queue, *pool.policy, candidates, pool.slots, ctx);
}

admission::TryPick make_try_pick(std::shared_ptr<const PickInput> input) {
  return [input = std::move(input)](admission::PoolQueue& queue) { return try_pick(*input, queue); };
}

}  // namespace corral::proxy
