#include "observe/access_log.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <ctime>

#include "common/go_json.hpp"

namespace corral::observe {
namespace {

// Lines queued before the oldest is dropped; one writer thread is plenty for lines of ~400 bytes.
constexpr std::size_t kQueueLines = 8192;

spdlog::sink_ptr make_sink(const std::string& path) {
  if (path == "stdout") return std::make_shared<spdlog::sinks::stdout_sink_mt>();
  if (path == "stderr") return std::make_shared<spdlog::sinks::stderr_sink_mt>();
  try {
    return std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("access_log.path: cannot open '" + path + "': " + e.what());
  }
}

void append_ms(std::string& out, std::string_view key, std::optional<std::chrono::nanoseconds> d) {
  out += ",\"";
  out += key;
  out += "\":";
  if (!d) {
    out += "null";
    return;
  }
  // Three decimals: microsecond resolution is all a log reader needs.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(*d).count();
  out += std::to_string(us / 1000);
  out += '.';
  const auto frac = std::to_string(us % 1000 + 1000);
  out.append(frac, 1, 3);
}

void append_str(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  gojson::append_string(out, value);
}

void append_num(std::string& out, std::string_view key, std::uint64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  out += "{\"time\":\"";
  out.append(buf, static_cast<std::size_t>(n > 0 ? n : 0));
  out += '"';
}

}  // namespace

AccessLog::AccessLog(const AccessLogConfig& config) : level_(config.level) {
  if (level_ == AccessLogLevel::kOff) return;
  auto sink = make_sink(config.path);
  sink->set_pattern("%v");
  pool_ = std::make_shared<spdlog::details::thread_pool>(kQueueLines, 1);
  logger_ = std::make_shared<spdlog::async_logger>("access", std::move(sink), pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  logger_->set_level(spdlog::level::info);
  // Flushing happens on the writer thread, so every line reaches the file without delaying a worker.
  logger_->flush_on(spdlog::level::info);
}

AccessLog::~AccessLog() {
  if (logger_) logger_->flush();
}

bool AccessLog::wants(int status) const noexcept {
  switch (level_) {
    case AccessLogLevel::kInfo:
      return true;
    case AccessLogLevel::kWarn:
      return status >= 400;
    case AccessLogLevel::kError:
      return status >= 500 && status != 499;
    case AccessLogLevel::kOff:
      return false;
  }
  return false;
}

void AccessLog::write(const AccessEntry& e) noexcept {
  if (!logger_ || !wants(e.status)) return;
  try {
    thread_local std::string line;
    line.clear();
    format(line, e);
    logger_->info(std::string_view(line));
  } catch (...) {
    // Out of memory while formatting: the request was answered; only its log line is lost.
  }
}

void AccessLog::flush() {
  if (logger_) logger_->flush();
}

void AccessLog::format(std::string& out, const AccessEntry& e) {
  append_time(out, e.time);
  append_str(out, "request_id", e.request_id);
  append_str(out, "client", e.client);
  append_str(out, "method", e.method);
  append_str(out, "path", e.path);
  append_str(out, "endpoint", e.endpoint);
  append_str(out, "model", e.model);
  append_str(out, "pool", e.pool);
  append_str(out, "backend", e.backend);
  append_num(out, "status", static_cast<std::uint64_t>(e.status < 0 ? 0 : e.status));
  append_num(out, "retries", e.retries);
  append_ms(out, "queue_wait_ms", e.queue_wait);
  append_ms(out, "ttfb_ms", e.ttfb);
  append_ms(out, "duration_ms", e.duration);
  append_num(out, "prompt_tokens", e.prompt_tokens);
  append_num(out, "completion_tokens", e.completion_tokens);
  append_num(out, "bytes_in", e.bytes_in);
  append_num(out, "bytes_out", e.bytes_out);
  if (e.truncated) out += ",\"truncated\":true";
  if (!e.error.empty()) append_str(out, "error", e.error);
  if (!e.principal.empty()) append_str(out, "key", e.principal);
  out += '}';
}

}  // namespace corral::observe
