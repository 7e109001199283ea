#include "fleet_ops/backend_admission.hpp"

namespace corral::fleet_ops {

net::awaitable<std::optional<admission::Lease>> admit_to_backend(upstream::SnapshotPtr snapshot, std::size_t pool,
                                                                 std::string model_key, std::uint64_t model_hash,
                                                                 routing::Endpoint endpoint, std::string backend,
                                                                 std::string& why) {
  const std::shared_ptr<admission::PoolQueue> queue = snapshot->pools[pool].queue;
  auto input = std::make_shared<placement::PickInput>();
  input->tried.assign(snapshot->pools[pool].members.size(), false);
  input->snapshot = std::move(snapshot);
  input->pool = pool;
  input->model_key = std::move(model_key);
  input->model_hash = model_hash;
  input->endpoint = endpoint;
  input->target_backend = std::move(backend);
  for (;;) {
    admission::TryPick pick = placement::make_try_pick(input);  // named: no temporaries in a co_await expression (GCC 12)
    auto admitted = co_await queue->admit(std::move(pick));
    if (auto* lease = std::get_if<admission::Lease>(&admitted)) co_return std::move(*lease);
    switch (std::get<admission::AdmitError>(admitted)) {
      case admission::AdmitError::kQueueTimeout:
        if (endpoint == routing::Endpoint::kPull) continue;  // behind a long pull: keep waiting
        why = "no free slot within queue.timeout";
        co_return std::nullopt;
      case admission::AdmitError::kQueueFull:
        why = "the pool's queue is full";
        co_return std::nullopt;
      case admission::AdmitError::kNoBackend:
        why = "the backend is down or ejected";
        co_return std::nullopt;
      case admission::AdmitError::kCancelled:
        why = "cancelled";
        co_return std::nullopt;
    }
  }
}

}  // namespace corral::fleet_ops
