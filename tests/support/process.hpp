// Test helper: runs a child process (normally the `corral` binary under test), reads its stdout line by
// line (the first line of `corral sim` / `serve` / `agent` is the bound HOST:PORT, a second
// "admin HOST:PORT" when serve has an admin listener), keeps its stderr in a temp file for diagnostics,
// sends signals, and on destruction kills it (SIGKILL: a test's children never outlive it, and none is
// left draining). Every wait has a deadline that only fails a hung test. Blocking; for GoogleTest bodies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/poll.hpp"

namespace corral::testing {

class Process final {
 public:
  /// Starts `binary` with `args` (argv[0] is added) and the test's environment plus `extra_env`
  /// ("NAME=VALUE"). Throws std::runtime_error when it cannot start.
  Process(std::string binary, std::vector<std::string> args, std::vector<std::string> extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// The next stdout line without its newline; nullopt on EOF or when `deadline` passes first.
  [[nodiscard]] std::optional<std::string> read_line(std::chrono::milliseconds deadline = kDeadline);
  /// The next stdout line; throws std::runtime_error (with the child's stderr) on EOF or after kDeadline.
  [[nodiscard]] std::string line();

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const;

  /// Waits for the exit. Returns the exit code, 128 + signal when killed, nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds deadline = kDeadline);
  [[nodiscard]] bool running();

  /// SIGTERM, up to `grace` for the exit, then SIGKILL. Returns the exit status as wait() does.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  /// Everything the child wrote to stderr so far ("" with CORRAL_TEST_VERBOSE set: then it goes to the
  /// test's own stderr).
  [[nodiscard]] std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_path_;
  std::optional<int> exit_status_;
};

/// The corral binary under test: $CORRAL_BINARY, else the one this test binary was built with.
[[nodiscard]] std::string corral_binary();

/// A started corral process whose first stdout line was its listen address (sim, serve, agent).
/// Movable; the process dies with it.
class Server final {
 public:
  /// Starts `corral args...` (e.g. {"serve", "-c", path}) and reads the address line. Throws
  /// std::runtime_error (with the child's stderr) when no address arrives.
  explicit Server(std::vector<std::string> args, std::vector<std::string> extra_env = {});

  std::unique_ptr<Process> process;
  std::string address;  ///< "127.0.0.1:PORT"
  std::string host;
  std::uint16_t port = 0;

  [[nodiscard]] std::string url() const { return "http://" + address; }
  /// Reads serve's second line, "admin HOST:PORT" (only when the config has an admin listener).
  [[nodiscard]] std::string admin_address();
};

/// What a corral command that runs to its end left (check-config, a failing start).
struct Finished {
  int exit_code = -1;  ///< as Process::wait; -1 when it did not end within kDeadline
  std::string stderr_text;
};

/// Runs `corral args...` to its end.
[[nodiscard]] Finished run_corral(std::vector<std::string> args, std::vector<std::string> extra_env = {});

}  // namespace corral::testing
