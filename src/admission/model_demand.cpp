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

bool ModelDemand::claim(std::size_t backend, std::uint64_t model, const void* holder) {
  std::lock_guard lock(mu_);
  const auto [it, added] = claims_.try_emplace(backend, Claim{model, holder});
  if (added) claim_count_.store(claims_.size(), std::memory_order_relaxed);
  return it->second.holder == holder;
}

bool ModelDemand::claimed_by_other(std::size_t backend, std::uint64_t model) const {
  if (claim_count_.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard lock(mu_);
  const auto it = claims_.find(backend);
  return it != claims_.end() && it->second.model != model;
}

void ModelDemand::release_claims(const void* holder) {
  std::lock_guard lock(mu_);
  std::erase_if(claims_, [holder](const auto& entry) { return entry.second.holder == holder; });
  claim_count_.store(claims_.size(), std::memory_order_relaxed);
}

DemandTicket::~DemandTicket() {
  if (demand_ == nullptr) return;
  if (const auto alive = owner_.lock()) {
    demand_->remove(model_);
    demand_->release_claims(this);
  }
}

void DemandTicket::wait_in(ModelDemand& demand, const std::shared_ptr<const void>& owner) {
  if (demand_ != nullptr) return;
  demand.add(model_);
  demand_ = &demand;
  owner_ = owner;
}

void DemandTicket::claim(std::size_t backend) {
  if (demand_ == nullptr) return;
  if (const auto alive = owner_.lock()) (void)demand_->claim(backend, model_, this);
}

}  // namespace corral::admission
