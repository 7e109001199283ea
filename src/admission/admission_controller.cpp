// Reloads build the next snapshot from the old one by pool name; readers only ever load a snapshot.
#include "admission/admission_controller.hpp"

namespace corral::admission {

AdmissionController::AdmissionController(const config::Config& config) {
  snapshot_.store(std::make_shared<const Snapshot>());
  reconfigure(config);
}

void AdmissionController::reconfigure(const config::Config& config) {
  const std::shared_ptr<const Snapshot> old = snapshot_.load();
  auto next = std::make_shared<Snapshot>();
  std::vector<bool> kept(old->queues.size(), false);
  for (const config::PoolConfig& pool : config.pools) {
    std::shared_ptr<PoolQueue> q;
    for (std::size_t i = 0; i < old->names.size(); ++i) {
      if (old->names[i] == pool.name) {
        q = old->queues[i];
        kept[i] = true;
        q->set_limits(config.queue.max_length, config.queue.timeout);
        break;
      }
    }
    if (!q) q = std::make_shared<PoolQueue>(config.queue.max_length, config.queue.timeout);
    next->names.push_back(pool.name);
    next->queues.push_back(std::move(q));
  }
  snapshot_.store(std::shared_ptr<const Snapshot>(std::move(next)));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (!kept[i]) old->queues[i]->fail_all(AdmitError::kNoBackend);
  }
  kick_all();
}

std::shared_ptr<PoolQueue> AdmissionController::queue(std::size_t pool_index) const {
  const auto snap = snapshot_.load();
  return pool_index < snap->queues.size() ? snap->queues[pool_index] : nullptr;
}

std::shared_ptr<PoolQueue> AdmissionController::queue(std::string_view name) const {
  const auto snap = snapshot_.load();
  for (std::size_t i = 0; i < snap->names.size(); ++i) {
    if (snap->names[i] == name) return snap->queues[i];
  }
  return nullptr;
}

void AdmissionController::kick_all() const {
  const auto snap = snapshot_.load();
  for (const auto& q : snap->queues) q->kick();
}

std::size_t AdmissionController::total_depth() const {
  const auto snap = snapshot_.load();
  std::size_t depth = 0;
  for (const auto& q : snap->queues) depth += q->depth();
  return depth;
}

}  // namespace corral::admission
