#include "observe/access_log.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "common/go_json.hpp"

namespace corral::observe {
namespace {

// How long a line may wait in a worker's buffer before it reaches the destination.
constexpr std::chrono::milliseconds kFlushInterval{100};
// Per worker thread: at ~400 bytes a line, about 10 000 lines between two flushes.
constexpr std::size_t kMaxPendingBytes = 4 << 20;
// A buffer this full wakes the writer early, so a burst is written before it reaches the cap.
constexpr std::size_t kWakeBytes = 256 << 10;

std::atomic<std::uint64_t> next_log_id{1};

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

FILE* open_destination(const std::string& path) {
  if (path == "stdout") return stdout;
  if (path == "stderr") return stderr;
  FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) {
    throw std::runtime_error("access_log.path: cannot open '" + path + "': " + std::strerror(errno));
  }
  return f;
}

}  // namespace

// One worker thread's pending lines. `mutex` is taken by its worker per line and by the writer once
// per flush, never by another worker.
struct ThreadBuffer {
  std::mutex mutex;
  std::string lines;
};

struct AccessLog::Writer {
  explicit Writer(FILE* f) : out(f), id(next_log_id.fetch_add(1)) { thread = std::thread([this] { run(); }); }
  ~Writer() {
    {
      std::lock_guard lock(wake_mutex);
      stopping = true;
    }
    wake.notify_one();
    thread.join();
    flush_all();
    if (out != stdout && out != stderr) std::fclose(out);
  }

  // The calling thread's buffer for this log (registered on its first line).
  ThreadBuffer& mine() {
    struct Slot {
      std::uint64_t owner = 0;
      std::shared_ptr<ThreadBuffer> buffer;
    };
    thread_local Slot slot;
    if (slot.owner != id) {
      auto b = std::make_shared<ThreadBuffer>();
      b->lines.reserve(64 * 1024);
      {
        std::lock_guard lock(registry_mutex);
        buffers.push_back(b);
      }
      slot = Slot{id, std::move(b)};
    }
    return *slot.buffer;
  }

  void flush_all() {
    std::lock_guard writing(write_mutex);
    std::vector<std::shared_ptr<ThreadBuffer>> all;
    {
      std::lock_guard lock(registry_mutex);
      all = buffers;
    }
    for (const auto& b : all) {
      {
        std::lock_guard lock(b->mutex);
        spare.swap(b->lines);  // the worker keeps writing into the (empty, reserved) spare
      }
      if (!spare.empty()) std::fwrite(spare.data(), 1, spare.size(), out);
      spare.clear();
    }
    std::fflush(out);
  }

  void run() {
    std::unique_lock lock(wake_mutex);
    while (!stopping) {
      wake.wait_for(lock, kFlushInterval, [this] { return stopping; });
      lock.unlock();
      flush_all();
      lock.lock();
    }
  }

  FILE* out;
  const std::uint64_t id;
  std::mutex registry_mutex;  // buffers: a thread's first line and each flush
  std::vector<std::shared_ptr<ThreadBuffer>> buffers;
  std::mutex write_mutex;     // one flusher at a time (the writer thread, or flush())
  std::string spare;
  std::atomic<std::uint64_t> dropped{0};
  std::mutex wake_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

AccessLog::AccessLog(const config::AccessLogConfig& config) : level_(config.level) {
  if (level_ == config::AccessLogLevel::kOff) return;
  writer_ = std::make_unique<Writer>(open_destination(config.path));
}

AccessLog::~AccessLog() = default;

bool AccessLog::wants(int status) const noexcept {
  switch (level_) {
    case config::AccessLogLevel::kInfo:
      return true;
    case config::AccessLogLevel::kWarn:
      return status >= 400;
    case config::AccessLogLevel::kError:
      return status >= 500;
    case config::AccessLogLevel::kOff:
      return false;
  }
  return false;
}

void AccessLog::write(const AccessEntry& e) noexcept {
  if (!writer_ || !wants(e.status)) return;
  try {
    ThreadBuffer& b = writer_->mine();
    std::lock_guard lock(b.mutex);
    if (b.lines.size() > kMaxPendingBytes) {
      writer_->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const bool was_below = b.lines.size() < kWakeBytes;
    format(b.lines, e);
    b.lines += '\n';
    if (was_below && b.lines.size() >= kWakeBytes) writer_->wake.notify_one();
  } catch (...) {
    // Out of memory while formatting: the request was answered; only its log line is lost.
  }
}

void AccessLog::flush() {
  if (writer_) writer_->flush_all();
}

std::uint64_t AccessLog::dropped() const noexcept {
  return writer_ ? writer_->dropped.load(std::memory_order_relaxed) : 0;
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
