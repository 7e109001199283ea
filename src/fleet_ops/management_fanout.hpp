// Model management calls sent to several backends at once (docs/models.md, "Management calls"):
// /api/pull, /api/create and /api/copy go to every eligible backend of the model's pool (create: the pool
// of the new name; copy: the backends that have the source), /api/delete to every eligible backend whose
// inventory has the model; with `X-Corral-Backend: a,b` (a Corral extension) to the named backends only.
// Each backend gets one attempt through the pool's admission, so it counts against the backend's slots;
// a pull also takes the backend's pull slot, so pulls to one backend run one at a time (a later one waits
// in the pool queue, past the queue timeout if need be, while its client waits). NDJSON progress lines
// are relayed to the client as they arrive, each tagged with `"backend":"NAME"`; the answer is merged
// (one success only when every backend succeeded, else an error naming the backends that failed). The
// inventory of every backend that succeeded changes at once. A client that leaves cancels every attempt
// (its upstream connection closes). Runs on the connection's worker; the delete guard runs before.
#pragma once

#include <cstddef>

#include "common/asio.hpp"
#include "gateway/client_request.hpp"
#include "gateway/request_context.hpp"
#include "routing/router.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::fleet_ops {

/// How a fanned-out call ended: the status the client got (for the access log and metrics) and whether
/// the connection goes on.
struct FanOutAnswer {
  gateway::Completion done;
  int status = 0;
};

/// Answers `req` (a management call whose body was checked) by sending it to the backends of pool
/// `pool` of `snap`. `snap` must outlive the call.
net::awaitable<FanOutAnswer> fan_out(gateway::ProxyContext& ctx, gateway::ClientRequest& req, const upstream::SnapshotPtr& snap,
                                     std::size_t pool);

}  // namespace corral::fleet_ops
