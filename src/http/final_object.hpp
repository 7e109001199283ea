// Token counts and timings from a relayed response body, without buffering or parsing it: Ollama puts
// its counters last in the final `done` object (prompt_eval_count, eval_count, eval_duration,
// load_duration after `context`), OpenAI-style answers put `usage` last (before `data: [DONE]` when
// streamed; the Responses API in its `response.completed` event, as `input_tokens`/`output_tokens`), and
// Anthropic's Messages answer ends with `usage` (streamed: `message_delta` carries `output_tokens`, while
// `message_start`, the first event, carries `input_tokens`; Ollama repeats both at the end, Anthropic's
// own API and other servers may not). The relay keeps the first kHeadBytes and the last kTailBytes of
// the body (TailWindow) and scan_final_object() takes each key's last occurrence in that window: earlier
// NDJSON lines or SSE events never carry these keys, so the last occurrence is the final object's, and a
// count found only at the start (message_start's input_tokens) still counts. The same scan reads the
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
/// Bytes kept from the start of a body: an Anthropic `message_start` event with its usage.
inline constexpr std::size_t kHeadBytes = 512;
/// Marks where bytes were left out between the head and the tail: JSON text never holds a raw NUL, so
/// no key or number reads across it.
inline constexpr char kWindowGap = '\0';

/// The first kHeadBytes and the last kTailBytes written through push(), as one view; no allocation.
/// While the body fits in the window the view is the body; once bytes are dropped between the two
/// parts, one kWindowGap separates them.
class TailWindow {
 public:
  void push(const char* data, std::size_t n) noexcept {
    if (!cut_) {
      if (size_ + n <= buf_.size()) {
        std::memcpy(buf_.data() + size_, data, n);
        size_ += n;
        return;
      }
      cut(data, n);
      return;
    }
    push_tail(data, n);
  }
  [[nodiscard]] std::string_view view() const noexcept {
    return {buf_.data(), cut_ ? kHeadBytes + 1 + tail_size_ : size_};
  }

 private:
  // The first push that does not fit: the head is frozen, and what followed it (held bytes, then `data`)
  // continues as the tail. More than one byte is dropped, so the gap is real.
  void cut(const char* data, std::size_t n) noexcept {
    if (size_ < kHeadBytes) {
      const std::size_t fill = kHeadBytes - size_;
      std::memcpy(buf_.data() + size_, data, fill);
      data += fill;
      n -= fill;
      size_ = kHeadBytes;
    }
    std::size_t held = size_ - kHeadBytes;
    const char* from = buf_.data() + kHeadBytes;
    if (held > kTailBytes) {
      from += held - kTailBytes;
      held = kTailBytes;
    }
    std::memmove(buf_.data() + kHeadBytes + 1, from, held);
    buf_[kHeadBytes] = kWindowGap;
    tail_size_ = held;
    cut_ = true;
    push_tail(data, n);
  }
  void push_tail(const char* data, std::size_t n) noexcept {
    char* tail = buf_.data() + kHeadBytes + 1;
    if (n >= kTailBytes) {
      std::memcpy(tail, data + n - kTailBytes, kTailBytes);
      tail_size_ = kTailBytes;
      return;
    }
    if (tail_size_ + n > kTailBytes) {
      const std::size_t keep = kTailBytes - n;
      std::memmove(tail, tail + tail_size_ - keep, keep);
      tail_size_ = keep;
    }
    std::memcpy(tail + tail_size_, data, n);
    tail_size_ += n;
  }

  std::array<char, kHeadBytes + 1 + kTailBytes> buf_;
  std::size_t size_ = 0;       // bytes held while nothing was dropped
  std::size_t tail_size_ = 0;  // bytes of the tail part once cut_
  bool cut_ = false;
};

struct FinalCounts {
  std::uint64_t prompt_tokens = 0;      ///< prompt_eval_count, or usage.prompt_tokens / input_tokens
  std::uint64_t completion_tokens = 0;  ///< eval_count, or usage.completion_tokens / output_tokens
  std::optional<std::chrono::nanoseconds> eval_duration;
  std::optional<std::chrono::nanoseconds> load_duration;
};

/// Reads the counters from a body's window (see the file comment), or from a whole body. A number that
/// the window's end or its gap cuts is not trusted. Missing keys stay 0 / nullopt.
[[nodiscard]] FinalCounts scan_final_object(std::string_view tail) noexcept;

}  // namespace corral::http1
