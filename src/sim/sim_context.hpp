// What every simulator handler needs: the options, the shared state and the fault plan. One instance
// lives for the whole run; handlers on any thread hold a reference.
#pragma once

#include "sim/fault_plan.hpp"
#include "sim/sim_options.hpp"
#include "sim/sim_state.hpp"

namespace corral::sim {

struct SimContext {
  const SimOptions& options;
  SimState& state;
  FaultState& faults;
  double prompt_rate = 0;  ///< prompt tokens per second; 0 = no prompt-evaluation delay
};

}  // namespace corral::sim
