#include "http/final_object.hpp"

namespace corral::http1 {
namespace {

// The keys, in the order of FinalKey. Found in one forward pass over the window: at every quote, the few
// keys that start with the next letter are compared (an rfind per key cost a memcmp at every
// byte of the window, eight times, about 6k instructions per request, a tenth of the gateway's work on a
// small answer). At every quote, not only at pairs: the window may start inside a string.
enum FinalKey : std::size_t {
  kKeyPromptEval, kKeyPromptTokens, kKeyInputTokens, kKeyEval, kKeyCompletion, kKeyOutput, kKeyEvalDuration, kKeyLoad,
  kFinalKeyCount
};
constexpr std::array<std::string_view, kFinalKeyCount> kFinalKeys{
    "prompt_eval_count", "prompt_tokens", "input_tokens",  "eval_count",
    "completion_tokens", "output_tokens", "eval_duration", "load_duration"};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The unsigned integer after `"key"` ends at `i` (JSON whitespace allowed around the colon); nullopt
// when no number follows, or when the window's end cuts it (more digits may follow).
std::optional<std::uint64_t> number_after_key(std::string_view text, std::size_t i) {
  while (i < text.size() && is_json_space(text[i])) ++i;
  if (i >= text.size() || text[i] != ':') return std::nullopt;
  ++i;
  while (i < text.size() && is_json_space(text[i])) ++i;
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
  std::uint64_t v = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (i == text.size() || text[i] == kWindowGap) return std::nullopt;  // more digits may have followed
  return v;
}

}  // namespace

FinalCounts scan_final_object(std::string_view tail) noexcept {
  // The value after each key's last occurrence (nullopt when that occurrence has no valid number).
  std::array<std::optional<std::uint64_t>, kFinalKeyCount> last{};
  for (std::size_t q = tail.find('"'); q != std::string_view::npos; q = tail.find('"', q + 1)) {
    const std::string_view rest = tail.substr(q + 1);
    if (rest.empty()) break;
    const char c = rest.front();
    if (c != 'p' && c != 'i' && c != 'e' && c != 'c' && c != 'o' && c != 'l') continue;
    for (std::size_t k = 0; k < kFinalKeyCount; ++k) {
      const std::string_view key = kFinalKeys[k];
      if (key.front() != c || rest.size() <= key.size() || rest[key.size()] != '"' || !rest.starts_with(key)) continue;
      last[k] = number_after_key(tail, q + 1 + key.size() + 1);
      break;
    }
  }
  FinalCounts c;
  // Ollama native first, then OpenAI `usage`, then Anthropic `usage` names.
  c.prompt_tokens = last[kKeyPromptEval] ? *last[kKeyPromptEval] : last[kKeyPromptTokens].value_or(0);
  if (c.prompt_tokens == 0) c.prompt_tokens = last[kKeyInputTokens].value_or(0);
  c.completion_tokens = last[kKeyEval] ? *last[kKeyEval] : last[kKeyCompletion].value_or(0);
  if (c.completion_tokens == 0) c.completion_tokens = last[kKeyOutput].value_or(0);
  if (last[kKeyEvalDuration]) c.eval_duration = std::chrono::nanoseconds(*last[kKeyEvalDuration]);
  if (last[kKeyLoad]) c.load_duration = std::chrono::nanoseconds(*last[kKeyLoad]);
  return c;
}

}  // namespace corral::http1
