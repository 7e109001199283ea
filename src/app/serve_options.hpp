// The command line of `corral serve` and `corral check-config` (a contract: keep it).
#pragma once

#include <string>
#include <vector>

namespace corral::app {

struct ServeOptions {
  std::string config_path;            ///< -c FILE: full configuration
  std::string listen;                 ///< quick mode: --listen HOST:PORT
  std::vector<std::string> backends;  ///< quick mode: --backend URL, repeatable
  int threads = 0;                    ///< --threads N; 0 = the configuration's value or cores
};

/// Runs the gateway until SIGTERM/SIGINT (drain) and returns the exit code.
int run_serve(const ServeOptions& options);

/// Loads and validates the configuration file exactly as `serve` would; prints errors with
/// file:line:column and returns 1 when it is invalid, 0 when it is valid.
int check_config(const std::string& path);

}  // namespace corral::app
