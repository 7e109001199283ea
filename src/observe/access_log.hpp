// The access log: one JSON line per request the proxy answered. A worker formats the line straight into
// its own per-thread buffer (capacity kept, so no allocation once warm) under that buffer's own mutex,
// which only the writer thread ever contends for: there is no lock shared by the workers. A writer
// thread swaps each buffer out every kFlushInterval and writes it with one fwrite + fflush. A buffer
// past kMaxPendingBytes drops new lines (counted) rather than growing or blocking a worker: losing a
// log line beats stalling requests. Field list and meaning: docs/observability.md#access-log.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/access_log_config.hpp"

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
  explicit AccessLog(const config::AccessLogConfig& config);
  /// Flushes what is queued.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// True when a request answered with `status` gets a line at the configured level.
  [[nodiscard]] bool wants(int status) const noexcept;
  /// Formats and buffers one line (when wants(e.status)). Any thread; never blocks on I/O.
  void write(const AccessEntry& e) noexcept;
  /// Writes everything buffered so far, on the calling thread (tests, shutdown).
  void flush();
  /// Lines dropped because a thread's buffer was full.
  [[nodiscard]] std::uint64_t dropped() const noexcept;

  /// The JSON line for `e` (no trailing newline), appended to `out`.
  static void format(std::string& out, const AccessEntry& e);

 private:
  struct Writer;
  config::AccessLogLevel level_;
  std::unique_ptr<Writer> writer_;  // null when the level is off
};

}  // namespace corral::observe
