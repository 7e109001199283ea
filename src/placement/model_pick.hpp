// The model-aware placement decision for one request, as a pure function of a value view of the pool and
// the time: which member serves it and what to do there (take a slot where the model is warm, start a load
// there and forget the idle models Ollama will evict for it, wait, wait holding a claim). It reads no
// clock, takes no lock and allocates nothing; backend_pick reads the snapshot into the view, takes the
// decision lock when the answer starts a load, and applies the answer.
//
// Preference order (what the invariant tests in tests/unit/placement/model_pick_test.cpp check):
//  0. Never a member that does not serve the request (ineligible, not the X-Corral-Backend one, inventory
//     without the model while another has it), one already tried, one whose backend or model slots are
//     full, one claimed by a passed-over request for another model, or one without room now (Fit::kNoRoom:
//     the model would push out a busy, pinned or fresh model; Fit::kTooLarge: larger than the whole VRAM).
//  1. Warm (the model loaded, or loading: join that load) before cold, whatever the costs: within warm, the
//     session's sticky backend first, then the pool's policy (model_aware: least cost, i.e. loaded before
//     loading, then least in-flight per weight, then the rendezvous hash of model and backend).
//  2. Cold only while no warm member has a free slot, and only if a load may start (may_start_load: no
//     member has the model yet, or the replication rule allows one more); among cold ones the policy ranks
//     by cost, so with equal load estimates a fit into free VRAM beats an eviction, and fewer or cheaper
//     victims beat more; then least in-flight per weight.
//  3. Otherwise wait; a request passed over (waited placement.max_pass_over) for a model warm nowhere and
//     without room anywhere claims the member that has room once its running requests finish (fewest
//     running, earliest on ties), so that member drains and the claimant can load there.
//  No eligible member at all (every serving one tried, or the model too large for each): fail at once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "lb/policy.hpp"
#include "placement/placement.hpp"

namespace corral::placement {

/// One pool member as the pick sees it, read once per pick from the snapshot's atomics.
struct MemberView {
  bool serves = false;            ///< the accept predicate apart from `tried` (backend_pick.cpp: PickFilter)
  bool tried = false;             ///< an earlier attempt of this request went there
  bool backend_free = false;      ///< a free slot under the backend's max_inflight
  bool model_free = false;        ///< a free slot under the model's num_parallel there
  bool claimed_by_other = false;  ///< a passed-over request for another model claims this member
  bool sticky = false;            ///< the session's remembered backend (affinity table)
  std::uint32_t weight = 1;
  std::uint32_t in_flight = 0;    ///< requests running on the backend, every model
  WorkerFacts model;              ///< the requested model there (loaded, loading, size, load estimate, VRAM)
  /// Its other loaded or loading models, PoolView::residents from here; needed only where the requested
  /// model is cold (assess ignores them otherwise), so a reader may leave them out there.
  std::uint32_t first_resident = 0;
  std::uint32_t resident_count = 0;
};

/// The pool for one request.
struct PoolView {
  std::span<const MemberView> members;
  /// Every member's residents back to back; model_pick sorts each member's run least recently used first
  /// (placement::assess), the order a kLoad's victims are counted in.
  std::span<Resident> residents;
  std::int64_t now_ns = 0;     ///< steady nanoseconds
  std::int64_t waited_ns = 0;  ///< how long the request has waited in the queue (0 on its first try)
  Rules rules;
  std::optional<std::uint32_t> max_replicas;  ///< of the model's rule
};

enum class PickAction : std::uint8_t {
  kNoneEligible,  ///< no member could serve it now: fail at once
  kWait,          ///< nothing suitable is free now: wait in the queue (claiming `claim` when set)
  kTake,          ///< take a slot on `member`, where the model is loaded or loading
  kLoad,          ///< take a slot on `member` and start the model's load there
};

struct PickDecision {
  PickAction action = PickAction::kWait;
  std::uint32_t member = 0;  ///< kTake, kLoad: index into PoolView::members
  Fit fit = Fit::kFree;      ///< kTake: kLoaded or kLoading; kLoad: kFree or kEvict
  /// kLoad with kEvict: the member's first `victims` idle residents (in_flight 0, in the order model_pick
  /// left them) are the ones Ollama will evict.
  std::size_t victims = 0;
  /// kLoad holds only while more than this many requests for the model wait in the pool (the replication
  /// trigger). The caller reads that count, under the demand mutex, only then; fewer means kWait.
  std::optional<std::uint32_t> waiting_above;
  /// Members that serve the request with the model loaded or loading. The caller recounts under the
  /// decision lock before a kLoad: more means another pick started a load meanwhile, so look again.
  std::uint32_t replicas = 0;
  /// Where the request claims a member if it ends up waiting (see the preference order, 3).
  std::optional<std::uint32_t> claim;
};

/// The decision for one request over `pool`. `scratch` is caller-owned room for at least
/// pool.members.size() candidates, so a pick allocates nothing (a smaller one gets kWait). `policy` ranks
/// within a tier (the pool's: model_aware, which keeps no state). Pure apart from sorting each member's
/// residents, as assess does: the same view gives the same decision. To go on after a kTake or kLoad lost
/// the race for its slot, mark that member not free and call again.
[[nodiscard]] PickDecision model_pick(const PoolView& pool, lb::Policy& policy, const lb::PickContext& ctx,
                                      std::span<lb::Candidate> scratch);

}  // namespace corral::placement
