// Builds a request's TryPick (admission/pool_queue.hpp): from the snapshot it loaded, the members of its
// pool that accept it (eligible, not yet tried, the X-Corral-Backend one, inventory) and have a free slot;
// for a model in a model_aware pool, placement::model_pick decides over a view of the pool (free slot of
// the model's num_parallel, fits the VRAM, single flight, replication, pass-over bound, claims) and this
// step applies the decision; the session's sticky backend first when it is one of the candidates;
// otherwise the pool's policy picks and the slot is taken in the same step (pick_and_reserve). Pulls take
// the backend's pull slot (one at a time). The TryPick owns its inputs (shared_ptr), because a kick on
// another thread may run it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission/model_demand.hpp"
#include "admission/pool_queue.hpp"
#include "routing/router.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::placement {

struct PickInput {
  upstream::SnapshotPtr snapshot;
  std::size_t pool = 0;
  std::vector<bool> tried;             ///< by member index
  std::string model_key;
  std::uint64_t model_hash = 0;        ///< common::hash_key(model_key), 0 when no model
  std::optional<std::uint64_t> session;   ///< affinity table key (hash of header value or client IP)
  std::optional<std::uint64_t> hash_on;   ///< consistent_hash key (hash_on header or client IP)
  routing::Endpoint endpoint = routing::Endpoint::kNone;
  std::string target_backend;          ///< X-Corral-Backend: only this backend (by name) may serve it
};

/// The TryPick for one admission attempt.
[[nodiscard]] admission::TryPick make_try_pick(std::shared_ptr<const PickInput> input);

/// One pick, synchronously (what the TryPick runs). `ticket` (may be null) counts the request in its
/// model's queued demand once it has to wait. Reads the steady clock once and passes it on.
[[nodiscard]] admission::Lease try_pick(const PickInput& input, admission::PoolQueue& queue,
                                        admission::DemandTicket* ticket = nullptr);
/// Same at `now_ns` (steady nanoseconds, the unit of upstream::steady_ns): every time-dependent rule of the
/// pick (ejections, the affinity TTL, loads under way, residency, pass-over) reads this (tests).
[[nodiscard]] admission::Lease try_pick(const PickInput& input, admission::PoolQueue& queue,
                                        admission::DemandTicket* ticket, std::int64_t now_ns);

}  // namespace corral::placement
