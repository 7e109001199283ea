#include "http/final_object.hpp"

namespace corral::http1 {
namespace {

// The unsigned integer after the last `"key":` in `text` (JSON whitespace allowed around the colon).
std::optional<std::uint64_t> last_number(std::string_view text, std::string_view quoted_key) {
  const auto at = text.rfind(quoted_key);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t i = at + quoted_key.size();
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  if (i >= text.size() || text[i] != ':') return std::nullopt;
  ++i;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
  std::uint64_t v = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (i == text.size()) return std::nullopt;  // cut by the end of the window: maybe more digits follow
  return v;
}

std::uint64_t first_of(std::string_view text, std::string_view a, std::string_view b) {
  if (auto v = last_number(text, a)) return *v;
  return last_number(text, b).value_or(0);
}

}  // namespace

FinalCounts scan_final_object(std::string_view tail) noexcept {
  FinalCounts c;
  // Ollama native first, then OpenAI `usage`, then Anthropic `usage` names.
  c.prompt_tokens = first_of(tail, "\"prompt_eval_count\"", "\"prompt_tokens\"");
  if (c.prompt_tokens == 0) c.prompt_tokens = last_number(tail, "\"input_tokens\"").value_or(0);
  c.completion_tokens = first_of(tail, "\"eval_count\"", "\"completion_tokens\"");
  if (c.completion_tokens == 0) c.completion_tokens = last_number(tail, "\"output_tokens\"").value_or(0);
  if (auto v = last_number(tail, "\"eval_duration\"")) c.eval_duration = std::chrono::nanoseconds(*v);
  if (auto v = last_number(tail, "\"load_duration\"")) c.load_duration = std::chrono::nanoseconds(*v);
  return c;
}

}  // namespace corral::http1
