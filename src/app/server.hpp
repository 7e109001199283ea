// The composition root of `corral serve` (style.md sections 2 and 5): builds the shared state from a
// configuration, starts N worker threads (one io_context each) and runs the control thread (acceptors,
// health checks, model polling, ejection sweeps, signals, reloads) on the calling thread until a drain
// ends. Lifecycle: construct -> run() -> (SIGTERM) drain -> stop -> return the exit code.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "config/config.hpp"

namespace corral::app {

class Server final {
 public:
  /// `config_path` empty = quick mode (SIGHUP has nothing to reload). `threads` >= 1 worker threads.
  Server(config::Config config, std::string config_path, unsigned threads);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listeners, prints the bound address as the first stdout line (`HOST:PORT`; then
  /// `admin HOST:PORT` when an admin listener is configured), serves until SIGTERM/SIGINT and the drain
  /// that follows. Returns the process exit code (0 after a drain). Throws when a listener cannot bind.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corral::app
