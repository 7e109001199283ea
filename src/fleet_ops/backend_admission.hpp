// A slot on one named backend of a pool, for a call the gateway makes there on its own account (each
// backend's part of a management fan-out, an auto-pull): the pool's normal admission restricted to that
// backend, with the backend's pull slot for a pull, so such calls queue behind client requests like
// everything else and pulls to one backend stay one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "placement/backend_pick.hpp"

namespace corral::fleet_ops {

/// Admits `endpoint` (about `model_key`, hashed `model_hash`) to the backend named `backend` in pool `pool`
/// of `snapshot`. A pull keeps waiting past queue.timeout (behind a long pull on that backend) for as long
/// as its caller does. Nullopt, with the reason in `why`, when no slot can be had.
[[nodiscard]] net::awaitable<std::optional<admission::Lease>> admit_to_backend(upstream::SnapshotPtr snapshot,
                                                                               std::size_t pool, std::string model_key,
                                                                               std::uint64_t model_hash,
                                                                               routing::Endpoint endpoint,
                                                                               std::string backend, std::string& why);

}  // namespace corral::fleet_ops
