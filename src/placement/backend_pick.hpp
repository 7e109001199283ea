// Builds a request's TryPick (admission/pool_queue.hpp): from the snapshot it loaded, the candidates
// of its pool that are eligible (healthy, not ejected, not yet tried) and have a free slot; for a model
// in a model_aware pool, the placement rules of docs/models.md (free slot of the model's num_parallel,
// fits the VRAM, single flight, replication, pass-over bound) and each candidate's expected cost; the
// session's sticky backend first when it is one of them; otherwise the pool's policy picks and the slot
// is taken in the same step (pick_and_reserve). Pulls take the backend's pull slot (one at a time).
// The TryPick owns its inputs (shared_ptr), because a kick on another thread may run it.
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

/// One pick, synchronously (what the TryPick runs; exposed for tests). `ticket` (may be null) counts the
/// request in its model's queued demand once it has to wait.
[[nodiscard]] admission::Lease try_pick(const PickInput& input, admission::PoolQueue& queue,
                                        admission::DemandTicket* ticket = nullptr);

}  // namespace corral::placement
