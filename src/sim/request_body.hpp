// Request bodies of the simulator's inference endpoints, decoded like Ollama does: Go's decoder
// semantics (first value only, last duplicate key wins, null means "not set"), Go's error texts for
// wrong types, keep_alive's own grammar, and the fields that shape a simulated answer. Strings are views
// into the caller's simdjson parser and stay valid until its next parse, except `rendered`.
//
// The rendered prompt stands in for a chat template's output: what the prompt cache compares and what
// prompt tokens are counted from (4 bytes a token). It is a sequence of parts, each padded with NUL bytes
// to a whole token, as a template's markers end each piece on a token boundary:
//   /api/generate            system (unless raw), prompt
//   /v1/completions          prompt
//   /api/chat, /v1/chat/...  the leading system messages, the tools, then the other messages in order;
//                            a message is one part: its content (OpenAI text parts joined), its
//                            tool_calls, its role
// so the next turn of a conversation, which repeats the history and adds to it, renders to bytes that
// start with the previous turn's. Text comes before the role so that two conversations share a prefix
// only when their text does (a real template's common header would give every pair a few tokens).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace corral::sim {

enum class Api { kGenerate, kChat, kEmbed, kEmbeddings, kOaiChat, kOaiCompletion, kOaiEmbeddings };

[[nodiscard]] inline bool is_openai(Api api) { return api >= Api::kOaiChat; }

struct InferenceRequest {
  std::string_view model;
  std::string_view prompt;             ///< generate / completions: the prompt (context ids come from it)
  std::uint64_t prompt_hash = 0;       ///< fnv1a over every prompt or message text, seeds the generator
  std::size_t prompt_bytes = 0;        ///< generating APIs: rendered.size(); embeddings: the inputs' bytes
  std::string_view system;             ///< generate: the system prompt
  std::string rendered;                ///< generating APIs: the rendered prompt (above); keeps its capacity
  bool empty_prompt = true;            ///< generate: prompt ""; chat: no messages (load/unload commands)
  bool stream = true;
  std::optional<std::chrono::nanoseconds> keep_alive;
  std::optional<std::int64_t> num_predict;  ///< options.num_predict or max_tokens; negative = unlimited
  int num_ctx = 0;
  bool raw = false;
  bool include_usage = false;
  std::vector<std::string_view> inputs;  ///< embed inputs (one for a string)
  bool input_present = false;
  int dimensions = 0;
  bool base64 = false;
};

struct BodyError {
  int status = 400;
  std::string message;
};

/// Decodes `body` for `api`. `scratch` is reused per connection as simdjson's padded input.
[[nodiscard]] std::optional<BodyError> parse_inference(simdjson::dom::parser& parser, std::string& scratch,
                                                       std::string_view body, Api api, InferenceRequest& out);

/// Decodes a body that names a model in `model` or the legacy `name` (show, pull, delete, create) and,
/// for copy, `source` and `destination`. Missing fields stay empty.
struct NamedRequest {
  std::string_view model;
  std::string_view source;
  std::string_view destination;
  std::string_view from;
  bool stream = true;
  bool verbose = false;
};
[[nodiscard]] std::optional<BodyError> parse_named(simdjson::dom::parser& parser, std::string& scratch,
                                                   std::string_view body, std::string_view go_type, NamedRequest& out);

/// keep_alive as Ollama's api.Duration reads it (number = seconds, string = Go duration, negative =
/// forever as -1ns). Returns the error text for a bad value.
[[nodiscard]] std::optional<std::string> parse_keep_alive(simdjson::dom::element v,
                                                          std::optional<std::chrono::nanoseconds>& out);

}  // namespace corral::sim
