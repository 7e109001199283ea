// The command line of `corral agent` (a contract: deploy/ and the tests rely on it).
#pragma once

#include <chrono>
#include <string>

namespace corral::agent {

struct AgentOptions {
  std::string listen = "0.0.0.0:9090";       ///< --listen HOST:PORT; port 0 picks one, printed first
  std::string ollama_url;                    ///< --ollama URL of the local Ollama (optional)
  std::string nvml_lib = "libnvidia-ml.so.1";  ///< --nvml-lib PATH, default: the loader's search path
  std::chrono::milliseconds ollama_timeout{2000};
};

/// Runs the agent until SIGINT/SIGTERM. Prints "HOST:PORT" as the first stdout line once
/// listening. Returns 1 (with a message on stderr) when NVML cannot be loaded or initialised.
int run(const AgentOptions& options);

}  // namespace corral::agent
