// Time for the gateway's pure pieces (affinity, outlier, retry budget take time points as arguments);
// this is the one place the data path reads the clock, so tests can reason about it.
#pragma once

#include <chrono>

namespace corral {

using SteadyClock = std::chrono::steady_clock;

/// Monotonic now (vDSO clock_gettime; cheap enough per request).
[[nodiscard]] inline SteadyClock::time_point steady_now() { return SteadyClock::now(); }

}  // namespace corral
