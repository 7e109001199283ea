// One pass over the members sorts them into the two tiers of the header's order, warm candidates from the
// front of the scratch span and cold ones from its back (so neither needs a buffer of its own); the cold
// run is turned back into member order before the policy sees it, as the policy saw candidates before
// the pick was split out of backend_pick. The replication gate asks placement::may_start_load twice, with
// the extreme queue depths, so the rule stays in one place while the caller reads the real depth (a
// mutex) only when the answer depends on it.
#include "placement/model_pick.hpp"

#include <algorithm>
#include <limits>

namespace corral::placement {
namespace {

std::span<Resident> residents_of(const PoolView& pool, const MemberView& m) {
  return pool.residents.subspan(m.first_resident, m.resident_count);
}

Assessment assess_member(const PoolView& pool, const MemberView& m) {
  const bool passed_over = pool.waited_ns >= pool.rules.max_pass_over_ns;
  return assess(m.model, residents_of(pool, m), pool.now_ns, passed_over, pool.rules);
}

bool warm_fit(Fit f) { return f == Fit::kLoaded || f == Fit::kLoading; }

// What one pass over the members found: scratch[0, warm) and scratch[size - cold, size) are the tiers.
struct Survey {
  std::size_t warm = 0;
  std::size_t cold = 0;
  std::uint32_t replicas = 0;
  bool any_eligible = false;
  std::optional<std::uint32_t> sticky;  // the first sticky warm candidate (member index)
  ClaimChoice claim;
};

Survey survey(const PoolView& pool, std::span<lb::Candidate> scratch) {
  Survey s;
  const bool passed_over = pool.waited_ns >= pool.rules.max_pass_over_ns;
  std::size_t back = scratch.size();
  for (std::uint32_t i = 0; i < pool.members.size(); ++i) {
    const MemberView& m = pool.members[i];
    if (!m.serves) continue;
    const Assessment a = assess_member(pool, m);
    if (a.fit == Fit::kTooLarge) continue;
    const bool warm = warm_fit(a.fit);
    if (warm) ++s.replicas;  // tried or not: it holds the model either way
    if (m.tried) continue;
    s.any_eligible = true;
    if (a.fit == Fit::kNoRoom) {
      if (passed_over && a.drainable) s.claim.offer(i, m.in_flight);
      continue;
    }
    if (m.claimed_by_other || !m.backend_free || !m.model_free) continue;
    const lb::Candidate c{i, m.weight, m.in_flight, 0, warm, a.cost_ns};
    if (warm) {
      if (m.sticky && !s.sticky) s.sticky = i;
      scratch[s.warm++] = c;
    } else {
      scratch[--back] = c;
    }
  }
  s.cold = scratch.size() - back;
  std::reverse(scratch.end() - static_cast<std::ptrdiff_t>(s.cold), scratch.end());
  if (s.replicas > 0) s.claim.clear();  // the model is warm somewhere: wait for those slots, no claim
  return s;
}

// The replication gate for a cold load while `replicas` members hold the model: false = never now;
// true with `waiting_above` set = only while more requests than that wait.
bool load_gate(const PoolView& pool, std::uint32_t replicas, std::optional<std::uint32_t>& waiting_above) {
  constexpr std::uint32_t kDeepest = std::numeric_limits<std::uint32_t>::max();
  if (!may_start_load(replicas, pool.max_replicas, kDeepest, pool.waited_ns, pool.rules)) return false;
  if (!may_start_load(replicas, pool.max_replicas, 0, pool.waited_ns, pool.rules)) {
    waiting_above = pool.rules.replicate_queue_depth;
  }
  return true;
}

}  // namespace

PickDecision model_pick(const PoolView& pool, lb::Policy& policy, const lb::PickContext& ctx,
                        std::span<lb::Candidate> scratch) {
  PickDecision d;
  if (scratch.size() < pool.members.size()) return d;  // a caller bug; waiting is the harmless answer
  const Survey s = survey(pool, scratch);
  d.replicas = s.replicas;
  if (const auto best = s.claim.best()) d.claim = static_cast<std::uint32_t>(*best);
  if (!s.any_eligible) {
    d.action = PickAction::kNoneEligible;
    return d;
  }
  std::span<const lb::Candidate> tier = scratch.first(s.warm);
  if (tier.empty()) {
    tier = scratch.last(s.cold);
    if (tier.empty() || !load_gate(pool, s.replicas, d.waiting_above)) return d;
  }
  const bool warm = s.warm > 0;
  if (s.sticky) {  // a warm candidate, so the tier is the warm one
    d.member = *s.sticky;
  } else {
    const auto chosen = policy.pick(tier, ctx);
    if (!chosen || *chosen >= tier.size()) return d;
    d.member = tier[*chosen].backend;
  }
  const Assessment a = assess_member(pool, pool.members[d.member]);
  d.action = warm ? PickAction::kTake : PickAction::kLoad;
  d.fit = a.fit;
  d.victims = a.victims;
  return d;
}

}  // namespace corral::placement
