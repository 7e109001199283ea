// The access log: one JSON line per request the proxy answered, handed to an spdlog asynchronous
// logger so the worker only formats the line (into a thread-local buffer that keeps its capacity) and
// enqueues it; a dedicated thread writes and flushes. When the queue is full the oldest pending line is
// dropped rather than blocking a worker (overrun_oldest): losing a log line beats stalling requests.
// Field list and meaning: docs/observability.md#access-log.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "observe/access_log_config.hpp"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace corral::observe {

/// One finished request, as the access log sees it. Views must stay valid during write().
struct AccessEntry {
  std::chrono::system_clock::time_point time{};  ///< when the request finished
  std::string_view request_id;
  std::string_view client;
  std::string_view method;
  std::string_view path;      ///< without the query (it may carry secrets)
  std::string_view endpoint;  ///< routing::to_string(endpoint)
  std::string_view model;     ///< normalised; empty when none
  std::string_view pool;
  std::string_view backend;   ///< the last backend tried; empty when none
  std::string_view principal;  ///< API key name when auth identified one
  std::string_view error;     ///< ErrorKind name for gateway-made errors; empty otherwise
  int status = 0;
  std::uint32_t retries = 0;
  std::optional<std::chrono::nanoseconds> queue_wait;
  std::optional<std::chrono::nanoseconds> ttfb;  ///< first response body byte written to the client
  std::chrono::nanoseconds duration{0};
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  bool truncated = false;
};

class AccessLog final {
 public:
  /// Opens the destination (throws std::runtime_error when a file cannot be opened). Control thread.
  explicit AccessLog(const AccessLogConfig& config);
  /// Flushes what is queued.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// True when a request answered with `status` gets a line at the configured level.
  [[nodiscard]] bool wants(int status) const noexcept;
  /// Formats and enqueues one line (when wants(e.status)). Any thread; never blocks on I/O.
  void write(const AccessEntry& e) noexcept;
  /// Writes everything queued so far (tests, shutdown).
  void flush();

  /// The JSON line for `e` (no trailing newline), appended to `out`.
  static void format(std::string& out, const AccessEntry& e);

 private:
  AccessLogLevel level_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace corral::observe
