// A fixed table in Ollama's registration order (server/routes.go GenerateRoutes). Lookup is a linear scan
// over ~30 entries of string compares: cheaper than building anything, and obviously correct. Method
// rules follow gin with HandleMethodNotAllowed: a known path with a wrong method is 405, an unknown path
// 404, and a known path plus a trailing slash redirects. HEAD is accepted only where Ollama registers it.
#include "routing/router.hpp"

#include <array>

namespace corral::routing {
namespace {

enum Method : unsigned { kGet = 1, kHead = 2, kPost = 4, kDelete = 8 };

struct Entry {
  std::string_view path;  // a trailing '*' marks one path parameter (no '/' inside)
  unsigned methods;
  std::string_view allow;
  RouteKind kind;
  Endpoint endpoint;
  ErrorFamily family;
  ModelField model_field;
  bool stream_default;
};

using K = RouteKind;
using E = Endpoint;
using F = ModelField;
constexpr ErrorFamily kO = ErrorFamily::kOllama;
constexpr ErrorFamily kAI = ErrorFamily::kOpenAI;

constexpr std::array kTable{
    Entry{"/", kGet | kHead, "GET, HEAD", K::kPassthrough, E::kRoot, kO, F::kNone, false},
    Entry{"/api/version", kGet | kHead, "GET, HEAD", K::kPassthrough, E::kVersion, kO, F::kNone, false},
    Entry{"/api/status", kGet, "GET", K::kPassthrough, E::kStatus, kO, F::kNone, false},
    Entry{"/api/pull", kPost, "POST", K::kManagement, E::kPull, kO, F::kModelOrName, true},
    Entry{"/api/push", kPost, "POST", K::kManagement, E::kPush, kO, F::kModelOrName, true},
    Entry{"/api/tags", kGet | kHead, "GET, HEAD", K::kAggregate, E::kTags, kO, F::kNone, false},
    Entry{"/api/show", kPost, "POST", K::kPassthrough, E::kShow, kO, F::kModelOrName, false},
    Entry{"/api/delete", kDelete, "DELETE", K::kManagement, E::kDelete, kO, F::kModelOrName, false},
    Entry{"/api/create", kPost, "POST", K::kManagement, E::kCreate, kO, F::kModelOrName, true},
    Entry{"/api/blobs/*", kPost | kHead, "POST, HEAD", K::kManagement, E::kBlobs, kO, F::kNone, false},
    Entry{"/api/copy", kPost, "POST", K::kManagement, E::kCopy, kO, F::kSourceDestination, false},
    Entry{"/api/ps", kGet, "GET", K::kAggregate, E::kPs, kO, F::kNone, false},
    Entry{"/api/generate", kPost, "POST", K::kInference, E::kGenerate, kO, F::kModel, true},
    Entry{"/api/chat", kPost, "POST", K::kInference, E::kChat, kO, F::kModel, true},
    Entry{"/api/embed", kPost, "POST", K::kInference, E::kEmbed, kO, F::kModel, false},
    Entry{"/api/embeddings", kPost, "POST", K::kInference, E::kEmbeddings, kO, F::kModel, false},
    Entry{"/v1/chat/completions", kPost, "POST", K::kInference, E::kOpenAIChat, kAI, F::kModel, false},
    Entry{"/v1/completions", kPost, "POST", K::kInference, E::kOpenAICompletions, kAI, F::kModel, false},
    Entry{"/v1/embeddings", kPost, "POST", K::kInference, E::kOpenAIEmbeddings, kAI, F::kModel, false},
    Entry{"/v1/models", kGet, "GET", K::kAggregate, E::kModelsList, kAI, F::kNone, false},
    Entry{"/v1/models/*", kGet, "GET", K::kModelPath, E::kModelGet, kAI, F::kPath, false},
    Entry{"/v1/responses", kPost, "POST", K::kInference, E::kOpenAIResponses, kAI, F::kModel, false},
    // multipart/form-data: the model is not in JSON, so any healthy backend takes it
    Entry{"/v1/audio/transcriptions", kPost, "POST", K::kPassthrough, E::kOpenAIAudioTranscriptions, kAI, F::kNone,
          false},
    Entry{"/v1/messages", kPost, "POST", K::kInference, E::kAnthropicMessages, kAI, F::kModel, false},
    Entry{"/api/me", kPost, "POST", K::kPassthrough, E::kOther, kO, F::kNone, false},
    Entry{"/api/signout", kPost, "POST", K::kPassthrough, E::kOther, kO, F::kNone, false},
    Entry{"/api/user/keys/*", kDelete, "DELETE", K::kPassthrough, E::kOther, kO, F::kNone, false},
    Entry{"/api/experimental/web_search", kPost, "POST", K::kPassthrough, E::kOther, kO, F::kNone, false},
    Entry{"/api/experimental/web_fetch", kPost, "POST", K::kPassthrough, E::kOther, kO, F::kNone, false},
    Entry{"/api/experimental/model-recommendations", kGet, "GET", K::kPassthrough, E::kOther, kO, F::kNone, false},
};

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

// Matches `path` against a table path; on a parameter match, `param` receives the parameter.
bool matches(std::string_view pattern, std::string_view path, std::string_view& param) {
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

const Entry* find(std::string_view path, std::string_view& param) {
  for (const Entry& entry : kTable) {
    if (matches(entry.path, path, param)) return &entry;
  }
  return nullptr;
}

}  // namespace

Route route_request(http::verb method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  Route route;
  std::string_view param;
  const Entry* entry = find(path, param);
  if (!entry) {
    if (path.size() > 1 && path.back() == '/') {
      const std::string_view trimmed = path.substr(0, path.size() - 1);
      if (find(trimmed, param)) {
        route.kind = RouteKind::kRedirect;
        route.redirect_path = trimmed;
      }
    }
    return route;
  }
  route.endpoint = entry->endpoint;
  route.family = entry->family;
  if ((entry->methods & method_bit(method)) == 0) {
    route.kind = RouteKind::kMethodNotAllowed;
    route.allow = entry->allow;
    return route;
  }
  route.kind = entry->kind;
  route.model_field = entry->model_field;
  route.stream_default = entry->stream_default;
  if (entry->kind == RouteKind::kModelPath) route.path_model = param;
  return route;
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

bool fans_out(Endpoint endpoint) {
  return endpoint == Endpoint::kPull || endpoint == Endpoint::kCreate || endpoint == Endpoint::kCopy ||
         endpoint == Endpoint::kDelete;
}

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
  }
  return "unknown";
}

}  // namespace corral::routing
