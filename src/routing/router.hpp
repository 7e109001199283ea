// Maps a request's method and target to what the gateway does with it (Ollama's own route table,
// server/routes.go GenerateRoutes): which endpoint, which JSON field names the model, the stream default
// and the error family. Pure and allocation-free; knows nothing of backends or pools.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"

namespace corral::routing {

/// What the gateway does with a request.
enum class RouteKind {
  kInference,         ///< one backend chosen by model: generate, chat, embed, /v1 chat|completions|embeddings...
  kAggregate,         ///< merged answer of every healthy backend: /api/tags, /api/ps, /v1/models
  kModelPath,         ///< model named in the path: GET /v1/models/{model} (Route::path_model)
  kManagement,        ///< pull, push, delete, create, copy, blobs: never retried
  kPassthrough,       ///< any healthy backend (of the model's pool when Route::model_field names one)
  kRedirect,          ///< trailing slash on a known path: 301 (GET/HEAD) or 307 to Route::redirect_path, as gin
  kNotFound,          ///< 404 text/plain "404 page not found"
  kMethodNotAllowed,  ///< 405 text/plain "405 method not allowed"
};

/// Which Ollama endpoint (finer than RouteKind, for metrics, body rules and error texts).
enum class Endpoint {
  kNone,  // kNotFound / kMethodNotAllowed
  kRoot,  // GET|HEAD /
  kVersion,
  kStatus,
  kGenerate,
  kChat,
  kEmbed,
  kEmbeddings,
  kShow,
  kPull,
  kPush,
  kCreate,
  kDelete,
  kCopy,
  kBlobs,
  kTags,
  kPs,
  kOpenAIChat,
  kOpenAICompletions,
  kOpenAIEmbeddings,
  kOpenAIResponses,
  kOpenAIAudioTranscriptions,
  kAnthropicMessages,
  kModelsList,  // GET /v1/models
  kModelGet,    // GET /v1/models/{model}
  kOther,       // other Ollama paths passed through (/api/me, /api/experimental/*, ...)
};

/// Shape of gateway-made error bodies.
enum class ErrorFamily {
  kOllama,  ///< {"error":"..."}
  kOpenAI,  ///< {"error":{"message","type","param","code"}}
};

/// Where the model name is.
enum class ModelField {
  kNone,               ///< no model (tags, version, blobs...)
  kModel,              ///< JSON `model`
  kModelOrName,        ///< JSON `model`, or the legacy `name` when `model` is empty (show, pull, push, create, delete)
  kSourceDestination,  ///< JSON `source` (the model to route by) and `destination` (copy)
  kPath,               ///< the path parameter (Route::path_model)
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  Endpoint endpoint = Endpoint::kNone;
  ErrorFamily family = ErrorFamily::kOllama;
  ModelField model_field = ModelField::kNone;
  /// The `stream` value when the body has none: true on native streaming endpoints (generate, chat, pull,
  /// push, create), false on OpenAI endpoints and on endpoints that never stream.
  bool stream_default = false;
  /// For kModelPath: the model as written in the path (a view into the target passed to route_request).
  std::string_view path_model;
  /// For kRedirect: the target path without its trailing slash (a view into the target; append the query).
  std::string_view redirect_path;
  /// For kMethodNotAllowed: the methods the path accepts, for an `Allow` header (e.g. "GET, HEAD").
  std::string_view allow;

  /// True when the body must be parsed to find the model (extract_request_info applies).
  [[nodiscard]] bool needs_body_model() const {
    return model_field == ModelField::kModel || model_field == ModelField::kModelOrName ||
           model_field == ModelField::kSourceDestination;
  }
};

/// Routes `method` + `target` (origin form, query allowed and ignored). The returned views point into
/// `target`, which must outlive the Route.
[[nodiscard]] Route route_request(http::verb method, std::string_view target);

/// Percent-decodes a path segment such as Route::path_model (gin matches on the decoded path, so
/// `/v1/models/llama3%3A8b` names `llama3:8b`). Nullopt on a malformed escape or a decoded '/' or NUL.
[[nodiscard]] std::optional<std::string> decode_path_segment(std::string_view segment);

/// Pull, create, copy and delete: sent to every backend concerned at once, not to one picked backend.
[[nodiscard]] bool fans_out(Endpoint endpoint);

/// Stable lower-case name of an endpoint ("generate", "openai_chat", ...), for metrics and logs.
[[nodiscard]] std::string_view to_string(Endpoint endpoint);

}  // namespace corral::routing
