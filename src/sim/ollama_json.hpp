// The JSON bodies of the simulator's inference answers, byte for byte in Ollama's field order with Go's
// escaping: native NDJSON chunks and final objects, the load/unload answers, embeddings, and the OpenAI
// shapes (chat and completion chunks, finish and usage chunks, whole responses, error objects).
// Everything appends to a caller-owned string so a connection reuses one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral::sim {

/// The numbers of a final `done:true` object; zero durations and counts are omitted (Go's omitempty).
struct FinalStats {
  std::int64_t total_duration = 0;
  std::int64_t load_duration = 0;
  std::int64_t prompt_eval_count = 0;     ///< the whole prompt, cached tokens included
  std::int64_t prompt_eval_duration = 0;  ///< the time of the uncached part only
  /// Tokens of the prompt a cache served. Not written to native objects; OpenAI usage reports it.
  std::int64_t prompt_eval_cached = 0;
  std::int64_t eval_count = 0;
  std::int64_t eval_duration = 0;
  std::string_view done_reason;  ///< stop | length | load | unload
};

// Native (/api/generate, /api/chat). No trailing newline: streams add "\n" themselves.
void append_generate_chunk(std::string& out, std::string_view model, std::string_view token);
void append_generate_final(std::string& out, std::string_view model, std::string_view response,
                           const FinalStats& stats, const std::vector<int>* context);
void append_chat_chunk(std::string& out, std::string_view model, std::string_view content);
void append_chat_final(std::string& out, std::string_view model, std::string_view content, const FinalStats& stats);

/// /api/embed: {"model","embeddings":[[..]],"total_duration","load_duration","prompt_eval_count"}.
void append_embed(std::string& out, std::string_view model, const std::vector<std::vector<float>>& vectors,
                  const FinalStats& stats);
/// /api/embeddings: {"embedding":[..]}.
void append_embedding(std::string& out, const std::vector<float>& vector);

/// `{"error":"..."}`.
void append_error(std::string& out, std::string_view message);

// OpenAI (/v1/*).
struct OaiIds {
  std::string_view id;        ///< "chatcmpl-123" / "cmpl-123"
  std::int64_t created = 0;   ///< unix seconds, shared by every chunk of a stream
  std::string_view model;
};
struct OaiUsage {
  std::int64_t prompt_tokens = 0;  ///< the whole prompt, cached tokens included
  std::int64_t completion_tokens = 0;
  std::int64_t cached_tokens = 0;  ///< prompt_tokens_details.cached_tokens
  bool details = false;            ///< write prompt_tokens_details (real usage; not the zeroed per-chunk one)
};

/// A chat chunk; `with_role` for the first one. The finish chunk has `finish_reason` and `delta:{}`.
void append_oai_chat_chunk(std::string& out, const OaiIds& ids, bool with_role, std::string_view content);
void append_oai_chat_finish(std::string& out, const OaiIds& ids, std::string_view finish_reason);
void append_oai_usage_chunk(std::string& out, const OaiIds& ids, std::string_view object, const OaiUsage& usage);
void append_oai_chat_completion(std::string& out, const OaiIds& ids, std::string_view content,
                                std::string_view finish_reason, const OaiUsage& usage);
/// A text_completion chunk; `finish_reason` empty = null. `zero_usage` adds the zeroed usage object that
/// every chunk carries when include_usage is on.
void append_oai_completion_chunk(std::string& out, const OaiIds& ids, std::string_view text,
                                 std::string_view finish_reason, bool zero_usage);
void append_oai_completion(std::string& out, const OaiIds& ids, std::string_view text, std::string_view finish_reason,
                           const OaiUsage& usage);
void append_oai_embeddings(std::string& out, std::string_view model, const std::vector<std::vector<float>>& vectors,
                           bool base64, std::int64_t prompt_tokens);
/// {"error":{"message","type","param":null,"code":null}} with the type chosen from the status.
void append_oai_error(std::string& out, int status, std::string_view message);

/// Go's float32 formatting (shortest round-trip, exponent form outside [1e-6, 1e21)).
void append_float(std::string& out, float v);
void append_int(std::string& out, std::int64_t v);

}  // namespace corral::sim
