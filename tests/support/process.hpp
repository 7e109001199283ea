// Test helper: runs a child process (normally the `corral` binary under test), reads the first line of
// its stdout (the bound HOST:PORT of `corral sim` / `corral serve`), keeps its stderr in a temp file
// for diagnostics, sends signals, and on destruction stops it (SIGTERM, then SIGKILL). Blocking and
// single-threaded; meant for GoogleTest bodies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corral::testing {

class Process final {
 public:
  /// Starts `binary` with `args` (argv[0] is added). Throws std::runtime_error when it cannot start.
  Process(std::string binary, std::vector<std::string> args);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// The next stdout line without its newline; nullopt on EOF or when `deadline` passes first.
  [[nodiscard]] std::optional<std::string> read_line(std::chrono::milliseconds deadline = std::chrono::seconds(30));

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const;

  /// Waits for the exit. Returns the exit code, 128 + signal when killed, nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  [[nodiscard]] bool running();

  /// SIGTERM, up to `grace` for the exit, then SIGKILL. Returns the exit status as wait() does.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  /// Everything the child wrote to stderr so far.
  [[nodiscard]] std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_path_;
  std::optional<int> exit_status_;
};

/// A started corral process whose first stdout line was its listen address.
struct Served {
  std::unique_ptr<Process> process;
  std::string address;  ///< "127.0.0.1:PORT"
  std::string host;
  std::uint16_t port = 0;
};

/// Starts `CORRAL_BINARY args...` (e.g. {"sim", "--listen", "127.0.0.1:0", ...}) and reads the address.
/// Throws std::runtime_error (with the child's stderr) when no address line arrives in time.
[[nodiscard]] Served start_corral(std::vector<std::string> args,
                                  std::chrono::milliseconds deadline = std::chrono::seconds(30));

/// `corral sim --listen 127.0.0.1:0` plus `extra` flags.
[[nodiscard]] Served start_sim(std::vector<std::string> extra = {});

}  // namespace corral::testing
