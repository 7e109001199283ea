// model_aware (the default policy): among the candidates, those where the model is warm (loaded, or
// served recently) come first; within the preferred group, the least loaded by (in-flight + queued) per
// unit of weight. A cold load costs seconds to minutes, a queue slot far less, so a busier warm backend
// beats an idle cold one. Ties go to the backend with the highest rendezvous hash of (model, backend), so
// an idle fleet sends one model to one backend (random ties when there is no model). The model-lifecycle
// work deepens this (VRAM fit, load estimates); the interface stays.
#pragma once

#include "lb/policy.hpp"

namespace corral::lb {

class ModelAwarePolicy final : public Policy {
 public:
  [[nodiscard]] std::optional<std::size_t> pick(std::span<const Candidate> candidates,
                                                const PickContext& ctx) override;
};

}  // namespace corral::lb
