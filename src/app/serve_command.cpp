// Placeholder until the gateway lands (owned by the gateway work).
#include <cstdio>

#include "app/serve_options.hpp"

namespace corral::app {
int run_serve(const ServeOptions&) {
  std::fprintf(stderr, "corral serve: not built yet\n");
  return 3;
}
int check_config(const std::string&) {
  std::fprintf(stderr, "corral check-config: not built yet\n");
  return 3;
}
}  // namespace corral::app
