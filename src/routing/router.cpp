// A fixed table: the gateway's own rows first, then Ollama's in its registration order (server/routes.go
// GenerateRoutes), then the namespaces. Lookup is a linear scan over ~40 rows of string compares: cheaper
// than building anything, and obviously correct. The first exact or parameter row that matches the path
// on this listener owns it (so `/` on the admin listener is the status page, not Ollama's root). Method
// rules follow gin with HandleMethodNotAllowed on Ollama's rows: a known path with a wrong method is 405,
// an unknown path 404, and a known path plus a trailing slash redirects; HEAD is accepted only where
// Ollama registers it. The gateway's own rows answer a wrong method themselves (405 from their handler),
// authorized as the namespace around them demands. A path nothing owns falls to a namespace: anything
// under /corral/ is an admin call, anything else on the admin listener is answered there (404), since
// that listener proxies Ollama's routes only.
#include "routing/router.hpp"

#include <array>

namespace corral::routing {
namespace {

using methods::kAny;
using methods::kDelete;
using methods::kGet;
using methods::kHead;
using methods::kPost;
using K = RouteKind;
using E = Endpoint;
using F = ModelField;
constexpr ErrorFamily kAI = ErrorFamily::kOpenAI;
constexpr ErrorFamily kAnthropic = ErrorFamily::kAnthropic;
constexpr Access kOpen = Access::kOpen;
constexpr Access kAdmin = Access::kAdmin;
constexpr bool kStreams = true;  // stream_default

// Ollama's inference rows: one backend picked by model, generated tokens counted.
constexpr RouteTraits kRuns{.generates = true, .places_model = true, .retryable = true};
// The compatibility rows Ollama wraps in its cloud-passthrough middleware, which decompresses zstd bodies.
constexpr RouteTraits kRunsAI{
    .family = kAI, .generates = true, .places_model = true, .retryable = true, .decodes_zstd = true};
constexpr RouteTraits kRunsAnthropic{
    .family = kAnthropic, .generates = true, .places_model = true, .retryable = true, .decodes_zstd = true};

constexpr std::array kTable{
    // The gateway's own. Probes answer any method, as they always have.
    RouteRow{"/healthz", kAny, K::kGateway, E::kHealthz, F::kNone, false, {.access = kOpen, .read_only = true}},
    RouteRow{"/readyz", kAny, K::kGateway, E::kReadyz, F::kNone, false, {.access = kOpen, .read_only = true}},
    RouteRow{"/metrics", kGet | kHead, K::kGateway, E::kMetrics, F::kNone, false,
             {.listeners = Listeners::kAdminElsePublic, .read_only = true}},
    RouteRow{"/", kGet | kHead, K::kGateway, E::kAdminRoot, F::kNone, false,
             {.listeners = Listeners::kAdminOnly, .read_only = true}},
    // The status page and its JSON are views, open to whoever the listener admits (like /api/tags).
    RouteRow{"/corral/", kGet | kHead, K::kGateway, E::kStatusPage, F::kNone, false, {.read_only = true}},
    RouteRow{"/corral/api/status", kGet | kHead, K::kGateway, E::kFleetStatus, F::kNone, false, {.read_only = true}},
    RouteRow{"/corral/api/scale", kGet | kHead, K::kGateway, E::kScaleAdvice, F::kNone, false, {.read_only = true}},
    RouteRow{"/corral/api/reload", kPost, K::kGateway, E::kReload, F::kNone, false, {.access = kAdmin}},

    // Ollama's and OpenAI's, proxied on both listeners.
    RouteRow{"/", kGet | kHead, K::kPassthrough, E::kRoot, F::kNone, false, {.read_only = true, .retryable = true}},
    RouteRow{"/api/version", kGet | kHead, K::kPassthrough, E::kVersion, F::kNone, false,
             {.read_only = true, .retryable = true}},
    RouteRow{"/api/status", kGet, K::kPassthrough, E::kStatus, F::kNone, false, {.read_only = true, .retryable = true}},
    RouteRow{"/api/pull", kPost, K::kManagement, E::kPull, F::kModelOrName, kStreams,
             {.access = kAdmin, .fans_out = true, .reports_progress = true}},
    RouteRow{"/api/push", kPost, K::kManagement, E::kPush, F::kModelOrName, kStreams, {.access = kAdmin}},
    RouteRow{"/api/tags", kGet | kHead, K::kAggregate, E::kTags, F::kNone, false, {.read_only = true, .merged = true}},
    RouteRow{"/api/show", kPost, K::kPassthrough, E::kShow, F::kModelOrName, false,
             {.read_only = true, .retryable = true}},
    RouteRow{"/api/delete", kDelete, K::kManagement, E::kDelete, F::kModelOrName, false,
             {.access = kAdmin, .fans_out = true, .holders_only = true}},
    RouteRow{"/api/create", kPost, K::kManagement, E::kCreate, F::kModelOrName, kStreams,
             {.access = kAdmin, .fans_out = true, .reports_progress = true}},
    RouteRow{"/api/blobs/*", kPost | kHead, K::kManagement, E::kBlobs, F::kNone, false, {.access = kAdmin}},
    RouteRow{"/api/copy", kPost, K::kManagement, E::kCopy, F::kSourceDestination, false,
             {.access = kAdmin, .fans_out = true, .holders_only = true}},
    RouteRow{"/api/ps", kGet, K::kAggregate, E::kPs, F::kNone, false, {.read_only = true, .merged = true}},
    RouteRow{"/api/generate", kPost, K::kInference, E::kGenerate, F::kModel, kStreams, kRuns},
    RouteRow{"/api/chat", kPost, K::kInference, E::kChat, F::kModel, kStreams, kRuns},
    RouteRow{"/api/embed", kPost, K::kInference, E::kEmbed, F::kModel, false, kRuns},
    RouteRow{"/api/embeddings", kPost, K::kInference, E::kEmbeddings, F::kModel, false, kRuns},
    RouteRow{"/v1/chat/completions", kPost, K::kInference, E::kOpenAIChat, F::kModel, false, kRunsAI},
    RouteRow{"/v1/completions", kPost, K::kInference, E::kOpenAICompletions, F::kModel, false, kRunsAI},
    RouteRow{"/v1/embeddings", kPost, K::kInference, E::kOpenAIEmbeddings, F::kModel, false, kRunsAI},
    RouteRow{"/v1/models", kGet, K::kAggregate, E::kModelsList, F::kNone, false,
             {.family = kAI, .read_only = true, .merged = true}},
    RouteRow{"/v1/models/*", kGet, K::kModelPath, E::kModelGet, F::kPath, false,
             {.family = kAI, .read_only = true, .retryable = true}},
    RouteRow{"/v1/responses", kPost, K::kInference, E::kOpenAIResponses, F::kModel, false, kRunsAI},
    // multipart/form-data: the model is not in JSON, so any healthy backend takes it
    RouteRow{"/v1/audio/transcriptions", kPost, K::kPassthrough, E::kOpenAIAudioTranscriptions, F::kNone, false,
             {.family = kAI, .retryable = true}},
    RouteRow{"/v1/messages", kPost, K::kInference, E::kAnthropicMessages, F::kModel, false, kRunsAnthropic},
    RouteRow{"/api/me", kPost, K::kPassthrough, E::kOther, F::kNone, false, {.retryable = true}},
    RouteRow{"/api/signout", kPost, K::kPassthrough, E::kOther, F::kNone, false, {.retryable = true}},
    RouteRow{"/api/user/keys/*", kDelete, K::kPassthrough, E::kOther, F::kNone, false, {.retryable = true}},
    RouteRow{"/api/experimental/web_search", kPost, K::kPassthrough, E::kOther, F::kNone, false, {.retryable = true}},
    RouteRow{"/api/experimental/web_fetch", kPost, K::kPassthrough, E::kOther, F::kNone, false, {.retryable = true}},
    RouteRow{"/api/experimental/model-recommendations", kGet, K::kPassthrough, E::kOther, F::kNone, false,
             {.retryable = true}},

    // Namespaces: only for paths no row above owns (the handler answers 404, or 405 for a known page).
    RouteRow{"/corral/**", kAny, K::kGateway, E::kCorralOther, F::kNone, false, {.access = kAdmin}},
    RouteRow{"/**", kAny, K::kGateway, E::kAdminOther, F::kNone, false, {.listeners = Listeners::kAdminOnly}},
};

constexpr std::string_view allow_text(unsigned m) {
  switch (m) {
    case kGet: return "GET";
    case kGet | kHead: return "GET, HEAD";
    case kPost: return "POST";
    case kPost | kHead: return "POST, HEAD";
    case kDelete: return "DELETE";
    default: return {};
  }
}

// traits(Endpoint) hands out one row's traits for all rows of an endpoint, so they must agree.
constexpr bool rows_of_an_endpoint_agree() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    for (std::size_t j = i + 1; j < kTable.size(); ++j) {
      if (kTable[i].endpoint == kTable[j].endpoint && !(kTable[i].traits == kTable[j].traits)) return false;
    }
  }
  return true;
}
static_assert(rows_of_an_endpoint_agree(), "rows of one endpoint must have the same traits");

constexpr bool every_row_well_formed() {
  for (const RouteRow& row : kTable) {
    if (row.methods != kAny && allow_text(row.methods).empty()) return false;  // an Allow header for its 405
    if (row.is_namespace() && row.kind != K::kGateway) return false;           // Ollama's paths are exact
    if (row.endpoint == E::kNone) return false;
  }
  return true;
}
static_assert(every_row_well_formed(), "a row without an Allow text, a proxied namespace or no endpoint");

constexpr std::array<const RouteTraits*, kEndpointCount> kByEndpoint = [] {
  std::array<const RouteTraits*, kEndpointCount> by{};
  for (auto& t : by) t = &kNoRouteTraits;
  for (const RouteRow& row : kTable) {
    auto& slot = by[static_cast<std::size_t>(row.endpoint)];
    if (slot == &kNoRouteTraits) slot = &row.traits;
  }
  return by;
}();

unsigned method_bit(http::verb method) {
  switch (method) {
    case http::verb::get:
      return kGet;
    case http::verb::head:
      return kHead;
    case http::verb::post:
      return kPost;
    case http::verb::delete_:
      return kDelete;
    default:
      return 0;
  }
}

bool takes(const RouteRow& row, unsigned bit) { return row.methods == kAny || (row.methods & bit) != 0; }

bool served_on(const RouteRow& row, RouteContext where) {
  switch (row.traits.listeners) {
    case Listeners::kBoth:
      return true;
    case Listeners::kAdminOnly:
      return where.listener == Listener::kAdmin;
    case Listeners::kAdminElsePublic:
      return where.listener == Listener::kAdmin || !where.admin_listener_configured;
  }
  return false;
}

// Matches `path` against a row's path; on a parameter match, `param` receives the parameter.
bool matches(const RouteRow& row, std::string_view path, std::string_view& param) {
  const std::string_view pattern = row.path;
  if (row.is_namespace()) return path.starts_with(pattern.substr(0, pattern.size() - 2));
  if (pattern.ends_with('*')) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    if (!path.starts_with(prefix)) return false;
    const std::string_view rest = path.substr(prefix.size());
    if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
    param = rest;
    return true;
  }
  return pattern == path;
}

// The first row (exact or parameter, or with `namespaces` only namespaces) that serves `path` here.
// With `proxied_only`, only Ollama's rows count (gin's trailing-slash redirect knows nothing else).
const RouteRow* find(std::string_view path, RouteContext where, std::string_view& param, bool namespaces,
                     bool proxied_only = false) {
  for (const RouteRow& row : kTable) {
    if (row.is_namespace() != namespaces || !served_on(row, where)) continue;
    if (proxied_only && row.kind == K::kGateway) continue;
    if (matches(row, path, param)) return &row;
  }
  return nullptr;
}

Route from_row(const RouteRow& row) {
  Route route;
  route.kind = row.kind;
  route.endpoint = row.endpoint;
  route.family = row.traits.family;
  route.model_field = row.model_field;
  route.stream_default = row.stream_default;
  route.traits = &row.traits;
  return route;
}

// The path's owner does not take the method. Ollama's: 405 as gin answers it, a call of nothing (no
// traits). The gateway's: its handler answers 405, authorized by the namespace around it, if any.
Route refused_method(const RouteRow& owner, std::string_view path, RouteContext where) {
  Route route;
  route.endpoint = owner.endpoint;
  route.family = owner.traits.family;
  route.method_allowed = false;
  route.allow = allow_text(owner.methods);
  if (owner.kind != K::kGateway) {
    route.kind = K::kMethodNotAllowed;
    return route;
  }
  route.kind = K::kGateway;
  std::string_view unused;
  const RouteRow* around = find(path, where, unused, true);
  route.traits = around != nullptr ? &around->traits : &owner.traits;
  return route;
}

}  // namespace

Route route_request(http::verb method, std::string_view target, RouteContext where) {
  const std::string_view path = target.substr(0, target.find('?'));
  std::string_view param;
  if (const RouteRow* owner = find(path, where, param, false)) {
    if (!takes(*owner, method_bit(method))) return refused_method(*owner, path, where);
    Route route = from_row(*owner);
    if (owner->kind == K::kModelPath) route.path_model = param;
    return route;
  }
  if (path.size() > 1 && path.back() == '/') {
    const std::string_view trimmed = path.substr(0, path.size() - 1);
    if (find(trimmed, where, param, false, true) != nullptr) {
      Route route;
      route.kind = K::kRedirect;
      route.redirect_path = trimmed;
      return route;
    }
  }
  if (const RouteRow* space = find(path, where, param, true)) return from_row(*space);
  return Route{};
}

std::span<const RouteRow> route_table() { return kTable; }

const RouteTraits& traits(Endpoint endpoint) {
  const auto i = static_cast<std::size_t>(endpoint);
  return i < kByEndpoint.size() ? *kByEndpoint[i] : kNoRouteTraits;
}

std::optional<std::string> decode_path_segment(std::string_view segment) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int hi = hex(segment[i + 1]);
    const int lo = hex(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '/' || c == '\0') return std::nullopt;
    out.push_back(c);
    i += 2;
  }
  return out;
}

bool fans_out(Endpoint endpoint) { return traits(endpoint).fans_out; }

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kNone: return "none";
    case Endpoint::kRoot: return "root";
    case Endpoint::kVersion: return "version";
    case Endpoint::kStatus: return "status";
    case Endpoint::kGenerate: return "generate";
    case Endpoint::kChat: return "chat";
    case Endpoint::kEmbed: return "embed";
    case Endpoint::kEmbeddings: return "embeddings";
    case Endpoint::kShow: return "show";
    case Endpoint::kPull: return "pull";
    case Endpoint::kPush: return "push";
    case Endpoint::kCreate: return "create";
    case Endpoint::kDelete: return "delete";
    case Endpoint::kCopy: return "copy";
    case Endpoint::kBlobs: return "blobs";
    case Endpoint::kTags: return "tags";
    case Endpoint::kPs: return "ps";
    case Endpoint::kOpenAIChat: return "openai_chat";
    case Endpoint::kOpenAICompletions: return "openai_completions";
    case Endpoint::kOpenAIEmbeddings: return "openai_embeddings";
    case Endpoint::kOpenAIResponses: return "openai_responses";
    case Endpoint::kOpenAIAudioTranscriptions: return "openai_audio_transcriptions";
    case Endpoint::kAnthropicMessages: return "anthropic_messages";
    case Endpoint::kModelsList: return "models_list";
    case Endpoint::kModelGet: return "model_get";
    case Endpoint::kOther: return "other";
    case Endpoint::kHealthz: return "healthz";
    case Endpoint::kReadyz: return "readyz";
    case Endpoint::kMetrics: return "metrics";
    case Endpoint::kStatusPage: return "status_page";
    case Endpoint::kAdminRoot: return "admin_root";
    case Endpoint::kFleetStatus: return "fleet_status";
    case Endpoint::kScaleAdvice: return "scale_advice";
    case Endpoint::kReload: return "reload";
    case Endpoint::kCorralOther: return "corral_other";
    case Endpoint::kAdminOther: return "admin_other";
  }
  return "unknown";
}

}  // namespace corral::routing
