// Queued demand per model in one pool: how many requests for each model wait for a backend (the
// replication trigger: seed default, more than 10 waiting loads one more replica), and the lock that
// makes "start a cold load" decisions one at a time, so N concurrent requests for a cold model start
// exactly one load (single flight). Counts move only when a request starts or stops waiting, never on
// each pick.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace corral::admission {

class ModelDemand final {
 public:
  /// One more request for `model` waits (a pick found nothing now).
  void add(std::uint64_t model);
  /// One request for `model` stopped waiting (admitted, timed out, gone).
  void remove(std::uint64_t model);
  /// Requests for `model` waiting now.
  [[nodiscard]] std::uint32_t waiting(std::uint64_t model) const;
  /// Held while a pick decides to start a load and marks it started. Never held across a co_await.
  [[nodiscard]] std::mutex& load_decision() { return load_decision_; }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::uint32_t> waiting_;
  std::mutex load_decision_;
};

/// One request's place in ModelDemand: counted once from its first failed pick until it is destroyed
/// (the TryPick that owns it goes away when the request stops waiting).
class DemandTicket final {
 public:
  DemandTicket(std::uint64_t model, std::int64_t started_ns) : model_(model), started_ns_(started_ns) {}
  DemandTicket(const DemandTicket&) = delete;
  DemandTicket& operator=(const DemandTicket&) = delete;
  ~DemandTicket();

  /// Counts the request as waiting in `demand` (first call only). `owner` owns `demand`; it is held weakly,
  /// because the queue that owns `demand` also holds this ticket while the request waits (no cycle).
  void wait_in(ModelDemand& demand, const std::shared_ptr<const void>& owner);
  [[nodiscard]] std::int64_t started_ns() const { return started_ns_; }

 private:
  std::uint64_t model_;
  std::int64_t started_ns_;
  ModelDemand* demand_ = nullptr;
  std::weak_ptr<const void> owner_;
};

}  // namespace corral::admission
