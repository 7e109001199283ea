// Every path Corral answers, in one table: Ollama's routes (its own table, server/routes.go
// GenerateRoutes), OpenAI's, and the gateway's own (/healthz, /readyz, /metrics, the status page and
// Corral's admin API). A row says which endpoint it is, where the model is named, the stream default, and
// its traits: which listener serves it, what the public listener asks of the caller, the error family,
// and what the data path does with it (token accounting, model-aware placement, fan-out, retries,
// fleet-wide merge). Code that only has an Endpoint reads the same row through traits(). Pure and
// allocation-free; knows nothing of backends, pools or keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/asio.hpp"

namespace corral::routing {

/// What the gateway does with a request.
enum class RouteKind : std::uint8_t {
  kInference,         ///< one backend chosen by model: generate, chat, embed, /v1 chat|completions|embeddings...
  kAggregate,         ///< merged answer of every healthy backend: /api/tags, /api/ps, /v1/models
  kModelPath,         ///< model named in the path: GET /v1/models/{model} (Route::path_model)
  kManagement,        ///< pull, push, delete, create, copy, blobs: never retried
  kPassthrough,       ///< any healthy backend (of the model's pool when Route::model_field names one)
  kGateway,           ///< answered by the gateway itself (admin/admin_routes.hpp), never proxied
  kRedirect,          ///< trailing slash on a known path: 301 (GET/HEAD) or 307 to Route::redirect_path, as gin
  kNotFound,          ///< 404 text/plain "404 page not found"
  kMethodNotAllowed,  ///< 405 text/plain "405 method not allowed"
};

/// Which endpoint (finer than RouteKind, for metrics, body rules and error texts).
enum class Endpoint : std::uint8_t {
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
  // The gateway's own (RouteKind::kGateway):
  kHealthz,      // /healthz: the process answers
  kReadyz,       // /readyz: a healthy backend, inventory read, not draining
  kMetrics,      // /metrics: the Prometheus exposition
  kStatusPage,   // /corral/: the status page (HTML)
  kAdminRoot,    // / on the admin listener: the status page too
  kFleetStatus,  // /corral/api/status: the status page's JSON
  kScaleAdvice,  // /corral/api/scale: the scale advisor's JSON
  kReload,       // POST /corral/api/reload: re-read the configuration file
  kCorralOther,  // anything else under /corral/: an admin call the gateway does not know (404)
  kAdminOther,   // anything else on the admin listener: it proxies Ollama's routes only (404)
};

inline constexpr std::size_t kEndpointCount = static_cast<std::size_t>(Endpoint::kAdminOther) + 1;

/// Shape of error bodies the gateway makes (http/error_response.hpp).
enum class ErrorFamily : std::uint8_t {
  kOllama,     ///< {"error":"..."}
  kOpenAI,     ///< {"error":{"message","type","param","code"}}
  kAnthropic,  ///< {"type":"error","error":{"type","message"}} (/v1/messages; SSE cuts end with `event: error`)
};

/// Where the model name is.
enum class ModelField : std::uint8_t {
  kNone,               ///< no model (tags, version, blobs...)
  kModel,              ///< JSON `model`
  kModelOrName,        ///< JSON `model`, or the legacy `name` when `model` is empty (show, pull, push, create, delete)
  kSourceDestination,  ///< JSON `source` (the model to route by) and `destination` (copy)
  kPath,               ///< the path parameter (Route::path_model)
};

/// The listener a request came in on.
enum class Listener : std::uint8_t {
  kPublic,  ///< `listen`: clients, with keys and limits
  kAdmin,   ///< `admin.listen`: trusted operators and tools, no checks
};

/// Which listeners serve a row.
enum class Listeners : std::uint8_t {
  kBoth,
  kAdminOnly,        ///< the admin listener only
  kAdminElsePublic,  ///< the admin listener when one is configured, else the public one (/metrics)
};

/// What the public listener asks of the caller before answering (the admin listener asks nothing).
enum class Access : std::uint8_t {
  kOpen,    ///< nothing: health probes must work without a key
  kClient,  ///< the gatekeeper's checks: a key when auth is on, allow lists, rate limits
  kAdmin,   ///< an admin API key (model management, Corral's admin calls)
};

/// A row's traits: everything the gateway decides about a request from its route alone.
struct RouteTraits {
  Listeners listeners = Listeners::kBoth;
  Access access = Access::kClient;
  ErrorFamily family = ErrorFamily::kOllama;
  bool read_only = false;         ///< reports state and changes none (a view)
  bool generates = false;         ///< runs a model: time to first token, placement outcome, token budgets
  bool places_model = false;      ///< model-aware placement applies to the model it names
  bool fans_out = false;          ///< sent to every backend concerned at once: pull, create, copy, delete
  bool retryable = false;         ///< may be sent to another backend when an attempt fails before the first byte
  bool merged = false;            ///< answered by merging every healthy backend's answer: tags, ps, /v1/models
  bool reports_progress = false;  ///< a fan-out whose answer is a progress stream (pull, create), not one object
  bool holders_only = false;      ///< a fan-out to the backends whose inventory may hold the model (delete, copy)
  /// A `Content-Encoding: zstd` body is decompressed to read its facts (Ollama's cloud-passthrough
  /// middleware does so on exactly these rows); the body still goes to the backend compressed.
  bool decodes_zstd = false;

  friend constexpr bool operator==(const RouteTraits&, const RouteTraits&) = default;
};

/// The traits of "no route" (kNotFound, kRedirect, an Endpoint::kNone).
inline constexpr RouteTraits kNoRouteTraits{};

/// Methods a row accepts, as bits.
namespace methods {
inline constexpr unsigned kGet = 1;
inline constexpr unsigned kHead = 2;
inline constexpr unsigned kPost = 4;
inline constexpr unsigned kDelete = 8;
inline constexpr unsigned kAny = ~0u;  ///< every method, also those outside the bits (the handler decides)
}  // namespace methods

/// One row of the route table.
struct RouteRow {
  /// Exact; a trailing '*' is one path parameter (no '/' inside); a trailing "**" makes the row a
  /// namespace: any rest, looked up only when no other row and no redirect applies.
  std::string_view path;
  unsigned methods;  ///< methods:: bits
  RouteKind kind;
  Endpoint endpoint;
  ModelField model_field = ModelField::kNone;
  /// The `stream` value when the body has none: true on native streaming endpoints (generate, chat, pull,
  /// push, create), false on OpenAI endpoints and on endpoints that never stream.
  bool stream_default = false;
  RouteTraits traits{};

  [[nodiscard]] constexpr bool is_namespace() const { return path.ends_with("**"); }
};

/// Where a request is being routed: its listener, and whether the gateway has an admin listener at all.
struct RouteContext {
  Listener listener = Listener::kPublic;
  bool admin_listener_configured = false;
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  Endpoint endpoint = Endpoint::kNone;
  ErrorFamily family = ErrorFamily::kOllama;
  ModelField model_field = ModelField::kNone;
  bool stream_default = false;
  /// False when the path's row does not take this method: kMethodNotAllowed on Ollama's routes; on the
  /// gateway's own (kGateway) its handler answers 405 with `allow`.
  bool method_allowed = true;
  /// The row's traits (never null). For a gateway path asked with a method its row does not take, those
  /// of the namespace around it when there is one (a write under /corral/ is an admin call).
  const RouteTraits* traits = &kNoRouteTraits;
  /// For kModelPath: the model as written in the path (a view into the target passed to route_request).
  std::string_view path_model;
  /// For kRedirect: the target path without its trailing slash (a view into the target; append the query).
  std::string_view redirect_path;
  /// When !method_allowed: the methods the path accepts, for an `Allow` header (e.g. "GET, HEAD").
  std::string_view allow;

  /// True when the body must be parsed to find the model (extract_request_info applies).
  [[nodiscard]] bool needs_body_model() const {
    return model_field == ModelField::kModel || model_field == ModelField::kModelOrName ||
           model_field == ModelField::kSourceDestination;
  }
};

/// Routes `method` + `target` (origin form, query allowed and ignored) as `where` serves it; the default
/// context is the public listener of a gateway without an admin listener. The returned views point into
/// `target`, which must outlive the Route.
[[nodiscard]] Route route_request(http::verb method, std::string_view target, RouteContext where = {});

/// The whole table, in lookup order (for tests and generated docs).
[[nodiscard]] std::span<const RouteRow> route_table();

/// The traits of `endpoint`'s rows (every row of an endpoint has the same); kNoRouteTraits for kNone.
[[nodiscard]] const RouteTraits& traits(Endpoint endpoint);

/// Percent-decodes a path segment such as Route::path_model (gin matches on the decoded path, so
/// `/v1/models/llama3%3A8b` names `llama3:8b`). Nullopt on a malformed escape or a decoded '/' or NUL.
[[nodiscard]] std::optional<std::string> decode_path_segment(std::string_view segment);

/// Pull, create, copy and delete: sent to every backend concerned at once, not to one picked backend
/// (the table's fans_out column).
[[nodiscard]] bool fans_out(Endpoint endpoint);

/// Stable lower-case name of an endpoint ("generate", "openai_chat", ...), for metrics and logs.
[[nodiscard]] std::string_view to_string(Endpoint endpoint);

}  // namespace corral::routing
