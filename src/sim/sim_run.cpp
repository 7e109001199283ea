// Placeholder until the simulator lands (owned by the simulator work).
#include <cstdio>

#include "sim/sim_options.hpp"

namespace corral::sim {
int run(const SimOptions&) {
  std::fprintf(stderr, "corral sim: not built yet\n");
  return 3;
}
}  // namespace corral::sim
