#include "sim/text_generator.hpp"

#include <array>
#include <cmath>

namespace corral::sim {
namespace {

// A small vocabulary of word pieces. The leading space marks a word start, as in BPE vocabularies.
// " &" is there on purpose: Go's encoder escapes it as \u0026, which clients and proxies must survive.
constexpr std::array<std::string_view, 64> kVocabulary = {
    " the",    " a",       " model",   " server",  " request", " token",   " stream", " gateway",
    " is",     " are",     " was",     " will",    " can",     " should",  " runs",   " loads",
    " fast",   " slow",    " quiet",   " busy",    " ready",   " simple",  " large",  " small",
    " of",     " to",      " in",      " on",      " with",    " for",     " and",    " &",
    " llama",  " corral",  " fleet",   " memory",  " queue",   " answer",  " time",   " second",
    " each",   " every",   " one",     " two",     " three",   " many",    " some",   " no",
    ",",       ".",        " it",      " we",      " they",    " you",     " this",   " that",
    " world",  " hello",   " data",    " text",    " line",    " chunk",   " word",   " end",
};
constexpr std::array<std::string_view, 8> kOpenings = {"The", "A", "Hello", "This", "Every", "One", "Our", "Some"};

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

TextGenerator::TextGenerator(std::uint64_t seed, std::uint64_t prompt_hash)
    : state_(prompt_hash ^ (seed * 0x9E3779B97F4A7C15ull)) {
  natural_length_ = 12 + static_cast<int>(splitmix(state_) % 52);
}

TextGenerator::TextGenerator(std::uint64_t seed, std::string_view prompt) : TextGenerator(seed, fnv1a(prompt)) {}

Token TextGenerator::next() {
  const std::uint64_t r = splitmix(state_);
  if (produced_++ == 0) {
    const auto i = static_cast<std::size_t>(r % kOpenings.size());
    return {kOpenings[i], 1000 + static_cast<int>(i)};
  }
  const auto i = static_cast<std::size_t>(r % kVocabulary.size());
  return {kVocabulary[i], 2000 + static_cast<int>(i)};
}

int count_prompt_tokens(std::size_t bytes) { return bytes == 0 ? 0 : static_cast<int>((bytes + 3) / 4); }

void append_prompt_ids(std::vector<int>& out, std::string_view prompt, int limit) {
  const int n = count_prompt_tokens(prompt.size());
  const int first = n > limit ? n - limit : 0;
  for (int i = first; i < n; ++i) {
    const auto piece = prompt.substr(static_cast<std::size_t>(i) * 4, 4);
    out.push_back(static_cast<int>(fnv1a(piece) % 32000));
  }
}

std::vector<float> pseudo_embedding(std::uint64_t seed, std::string_view text, int dims, bool normalise) {
  std::vector<float> v(static_cast<std::size_t>(dims > 0 ? dims : 0));
  std::uint64_t s = fnv1a(text) ^ seed;
  double norm = 0;
  for (auto& x : v) {
    x = static_cast<float>(static_cast<double>(splitmix(s) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    norm += static_cast<double>(x) * x;
  }
  if (normalise && norm > 0) {
    const double k = 1.0 / std::sqrt(norm);
    for (auto& x : v) x = static_cast<float>(x * k);
  }
  return v;
}

}  // namespace corral::sim
