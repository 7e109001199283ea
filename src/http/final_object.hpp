// Token counts and timings from the end of a relayed response body, without buffering or parsing it:
// Ollama puts its counters last in the final `done` object (prompt_eval_count, eval_count,
// eval_duration, load_duration after `context`), and OpenAI-style answers put `usage` last (before
// `data: [DONE]` when streamed). The relay keeps the last kTailBytes of the body (TailWindow) and
// scan_final_object() takes each key's last occurrence in that window: earlier NDJSON lines or SSE events
// never carry these keys, so the last occurrence is the final object's. The same scan reads the
// load_duration of the gateway's own control answers (models/), which is why it lives in http/.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace corral::http1 {

/// Bytes kept from the end of a body: the final object's counters fit in a few hundred bytes.
inline constexpr std::size_t kTailBytes = 1024;

/// The last kTailBytes written through push(); no allocation.
class TailWindow {
 public:
  void push(const char* data, std::size_t n) noexcept {
    if (n >= kTailBytes) {
      std::memcpy(buf_.data(), data + n - kTailBytes, kTailBytes);
      size_ = kTailBytes;
      return;
    }
    if (size_ + n > kTailBytes) {
      const std::size_t keep = kTailBytes - n;
      std::memmove(buf_.data(), buf_.data() + size_ - keep, keep);
      size_ = keep;
    }
    std::memcpy(buf_.data() + size_, data, n);
    size_ += n;
  }
  [[nodiscard]] std::string_view view() const noexcept { return {buf_.data(), size_}; }

 private:
  std::array<char, kTailBytes> buf_;
  std::size_t size_ = 0;
};

struct FinalCounts {
  std::uint64_t prompt_tokens = 0;      ///< prompt_eval_count, or usage.prompt_tokens / input_tokens
  std::uint64_t completion_tokens = 0;  ///< eval_count, or usage.completion_tokens / output_tokens
  std::optional<std::chrono::nanoseconds> eval_duration;
  std::optional<std::chrono::nanoseconds> load_duration;
};

/// Reads the counters from the tail of a body (see the file comment). Missing keys stay 0 / nullopt.
[[nodiscard]] FinalCounts scan_final_object(std::string_view tail) noexcept;

}  // namespace corral::http1
