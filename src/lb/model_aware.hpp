// model_aware (the default policy): least expected time to first token. The pick step
// (placement/model_pick) has already filtered the candidates (free slot for the model, fits the VRAM,
// single flight and replication rules) and priced each one in Candidate::cost_ns: 0 where the model is
// loaded, the rest of the load where it is loading, load + eviction cost where it is cold. Among equal
// costs (every warm backend costs 0), the least loaded by (in-flight + queued) per unit of weight wins, a
// warm backend before a cold one; ties go to the backend with the highest rendezvous hash of
// (model, backend), so an idle fleet sends one model to one backend (random ties without a model).
#pragma once

#include "lb/policy.hpp"

namespace corral::lb {

class ModelAwarePolicy final : public Policy {
 public:
  [[nodiscard]] std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                const PickContext& ctx) override;
};

}  // namespace corral::lb
