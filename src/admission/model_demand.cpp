#include "admission/model_demand.hpp"

namespace corral::admission {

void ModelDemand::add(std::uint64_t model) {
  std::lock_guard lock(mu_);
  ++waiting_[model];
}

void ModelDemand::remove(std::uint64_t model) {
  std::lock_guard lock(mu_);
  const auto it = waiting_.find(model);
  if (it == waiting_.end()) return;
  if (--it->second == 0) waiting_.erase(it);
}

std::uint32_t ModelDemand::waiting(std::uint64_t model) const {
  std::lock_guard lock(mu_);
  const auto it = waiting_.find(model);
  return it == waiting_.end() ? 0 : it->second;
}

DemandTicket::~DemandTicket() {
  if (demand_ == nullptr) return;
  if (const auto alive = owner_.lock()) demand_->remove(model_);
}

void DemandTicket::wait_in(ModelDemand& demand, const std::shared_ptr<const void>& owner) {
  if (demand_ != nullptr) return;
  demand.add(model_);
  demand_ = &demand;
  owner_ = owner;
}

}  // namespace corral::admission
