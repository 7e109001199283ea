// Finds what routing needs in a JSON request body — the model, the stream flag, load/unload calls —
// with simdjson On-Demand in one pass over the top-level object, skipping every other value (prompts,
// base64 images) without parsing it. The body itself is never modified or re-serialised: it goes to the
// backend byte for byte; only a private copy of the model name is normalised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "routing/router.hpp"

namespace corral::routing {

/// Spare readable bytes extract_request_info needs after the body (simdjson's SIMDJSON_PADDING).
extern const std::size_t kBodyPadding;

/// Why a body was refused (every one is a 400 with an Ollama- or OpenAI-shaped error).
enum class RequestError {
  kNone,
  kEmptyBody,         ///< "missing request body" (Ollama's text)
  kBadJson,           ///< malformed JSON, not an object, trailing content, too deep, or a wrong-typed field
  kMissingModel,      ///< "model is required" (Ollama's text for chat and show)
  kDuplicateModel,    ///< two keys naming the model (Go would take the last, routing the first: refused)
  kInvalidModelName,  ///< "invalid model name" (Ollama's text)
  kModelNotString,    ///< "json: cannot unmarshal number into Go struct field .model of type string"
};

struct RequestInfo {
  /// The model string as sent (unescaped JSON string). For copy: `source`.
  std::string model;
  /// `model` normalised (routing/model_name.hpp): the key for routing, affinity and metrics.
  std::string model_key;
  /// Copy only: `destination` as sent.
  std::string destination;
  /// `stream` from the body, or the route's default when absent or null.
  bool stream = false;
  /// `keep_alive` present and not null.
  bool has_keep_alive = false;
  /// `keep_alive` is zero (0, 0.0, "0", "0s"...): with an empty input this is an unload call.
  bool keep_alive_zero = false;
  /// Generate/embeddings: `prompt` absent or ""; chat: `messages` absent, null or []; embed: `input` absent,
  /// "" or []. Ollama treats such calls as "load the model" (or unload with keep_alive 0), not inference.
  bool empty_input = false;
  /// FNV-1a digest over the raw JSON of the `options` keys that force a runner reload in Ollama (num_ctx,
  /// num_batch, num_gpu, main_gpu, use_mmap); 0 when none is set. Equal digests can share a loaded runner.
  std::uint64_t runner_options_digest = 0;

  RequestError error = RequestError::kNone;
  /// Client-facing text for `error` (Ollama's wording where Ollama has one).
  std::string error_message;

  [[nodiscard]] bool ok() const { return error == RequestError::kNone; }
};

/// Reads `body` for `route` (whose needs_body_model() should be true; other routes get only `stream`).
/// Contract: `kBodyPadding` bytes after body.data() + body.size() must be readable (any content); use the
/// std::string overload or pad_body() when unsure. Never throws; errors are in RequestInfo::error.
/// Cost: one structural scan of the body (simdjson stage 1, several GB/s) plus work proportional to the
/// number of top-level keys; large values are skipped, never decoded. Thread-safe (per-thread parser).
[[nodiscard]] RequestInfo extract_request_info(const Route& route, std::string_view body);

/// Same, for a body held in a std::string: reserves the padding first (may reallocate once; reading a body
/// into a string whose capacity is already size + kBodyPadding avoids that).
[[nodiscard]] RequestInfo extract_request_info(const Route& route, std::string& body);

/// The request's facts, read once right after the head checks and carried with the request (auth, the
/// router, the picker and auto-pull read these, never the body again): extract_request_info where the
/// body names the model; the decoded path model for RouteKind::kModelPath (model_key empty when the
/// segment is malformed or no valid name); otherwise only `stream` (the route's default).
[[nodiscard]] RequestInfo read_request_facts(const Route& route, std::string& body);

/// Makes `body`'s capacity at least size + kBodyPadding (no-op when it already is) and returns a view of it.
std::string_view pad_body(std::string& body);

/// Stable text for an error kind ("missing_request_body"...), for logs and metrics labels.
[[nodiscard]] std::string_view to_string(RequestError error);

}  // namespace corral::routing
