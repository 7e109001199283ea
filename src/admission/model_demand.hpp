// Queued demand per model in one pool: how many requests for each model wait for a backend (the
// replication trigger: seed default, more than 10 waiting loads one more replica), the lock that makes
// "start a cold load" decisions one at a time, so N concurrent requests for a cold model start exactly
// one load (single flight), and the claims of passed-over requests: a request that waited
// placement.max_pass_over with no room for its model anywhere claims one backend, and no other model's
// request is placed there until the claim ends, so the models using it drain and the claimant's model
// loads (the bound on how long a request is passed over). Counts move only when a request starts or
// stops waiting, never on each pick.
#pragma once

#include <atomic>
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

  /// `holder` (a waiting request) claims `backend` (index in the pool) for `model`. False when another
  /// holder's claim stands there (first come, first served); true when it is now (or already) this one's.
  /// The index is the one of the snapshot the holder picks from: a reload that reorders the pool may leave
  /// the claim on another backend until the holder's wait ends (at most the queue timeout).
  bool claim(std::size_t backend, std::uint64_t model, const void* holder);
  /// Whether a claim for a model other than `model` stands on `backend`. Lock-free while no claim exists.
  [[nodiscard]] bool claimed_by_other(std::size_t backend, std::uint64_t model) const;
  /// Ends every claim of `holder`.
  void release_claims(const void* holder);

 private:
  struct Claim {
    std::uint64_t model;
    const void* holder;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::uint32_t> waiting_;
  std::unordered_map<std::size_t, Claim> claims_;  // by backend index; guarded by mu_
  std::atomic<std::size_t> claim_count_{0};        // claims_.size(), for the lock-free "none" answer
  std::mutex load_decision_;
};

/// One request's place in ModelDemand: counted once from its first failed pick until it is destroyed
/// (the TryPick that owns it goes away when the request stops waiting); its claims end with it.
class DemandTicket final {
 public:
  DemandTicket(std::uint64_t model, std::int64_t started_ns) : model_(model), started_ns_(started_ns) {}
  DemandTicket(const DemandTicket&) = delete;
  DemandTicket& operator=(const DemandTicket&) = delete;
  ~DemandTicket();

  /// Counts the request as waiting in `demand` (first call only). `owner` owns `demand`; it is held weakly,
  /// because the queue that owns `demand` also holds this ticket while the request waits (no cycle).
  void wait_in(ModelDemand& demand, const std::shared_ptr<const void>& owner);
  /// Claims `backend` for this request's model (after wait_in; otherwise nothing happens).
  void claim(std::size_t backend);
  [[nodiscard]] std::int64_t started_ns() const { return started_ns_; }

 private:
  std::uint64_t model_;
  std::int64_t started_ns_;
  ModelDemand* demand_ = nullptr;
  std::weak_ptr<const void> owner_;
};

}  // namespace corral::admission
