// Deterministic pseudo-text for the simulator: the same --seed and prompt always give the same tokens,
// so tests can compare runs and a gateway in front can be checked for byte-exact relaying. One token is
// one word-like piece; the simulator sends one token per streamed chunk. Also token counting for
// prompts (about four bytes per token, like real tokenizers on English text) and their token ids.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace corral::sim {

struct Token {
  std::string_view text;  ///< points into a static vocabulary
  int id = 0;
};

class TextGenerator final {
 public:
  /// `prompt_hash` is fnv1a() of the prompt text (chat folds every message into it).
  TextGenerator(std::uint64_t seed, std::uint64_t prompt_hash);
  TextGenerator(std::uint64_t seed, std::string_view prompt);

  /// How many tokens this "model" wants to say before it stops by itself (done_reason "stop").
  [[nodiscard]] int natural_length() const { return natural_length_; }

  /// The next token. Never ends: callers stop at natural_length() or num_predict.
  Token next();

 private:
  std::uint64_t state_;
  int natural_length_;
  int produced_ = 0;
};

/// FNV-1a, used to fold prompts into the generator's seed.
[[nodiscard]] std::uint64_t fnv1a(std::string_view text, std::uint64_t basis = 14695981039346656037ull);

/// Tokens a prompt of `bytes` bytes counts as: ceil(bytes / 4), at least 1 for a non-empty prompt.
[[nodiscard]] int count_prompt_tokens(std::size_t bytes);

/// Appends the ids of the prompt's tokens (the `context` of /api/generate), the last `limit` of them.
void append_prompt_ids(std::vector<int>& out, std::string_view prompt, int limit);

/// A deterministic embedding of `text`: `dims` floats in [-1, 1], L2-normalised when `normalise`.
[[nodiscard]] std::vector<float> pseudo_embedding(std::uint64_t seed, std::string_view text, int dims,
                                                  bool normalise);

}  // namespace corral::sim
