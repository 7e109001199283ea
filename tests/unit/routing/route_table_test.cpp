// The route table row by row: every row's traits written out here a second time (a new row or a changed
// column fails until this list agrees), traits(Endpoint) agreeing with the rows, every page the admin
// handler answers having a row, and the listener rules (what the public and the admin listener each
// serve, and how a wrong method or a trailing slash is answered on each).
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "admin/admin_routes.hpp"
#include "routing/router.hpp"

namespace corral::routing {
namespace {

using http::verb;
constexpr RouteContext kPublicOnly{Listener::kPublic, false};
constexpr RouteContext kPublicBesideAdmin{Listener::kPublic, true};
constexpr RouteContext kAdminSide{Listener::kAdmin, true};

struct ExpectedRow {
  std::string_view path;
  Endpoint endpoint;
  RouteKind kind;
  Listeners listeners;
  Access access;
  ErrorFamily family;
  // r read_only, g generates, p places_model, f fans_out, t retryable, m merged, s reports_progress,
  // h holders_only, z decodes_zstd
  std::string_view flags;
};

constexpr auto kBoth = Listeners::kBoth;
constexpr auto kOllama = ErrorFamily::kOllama;
constexpr auto kOpenAI = ErrorFamily::kOpenAI;
constexpr auto kAnthropic = ErrorFamily::kAnthropic;
using A = Access;
using K = RouteKind;
using E = Endpoint;

const std::vector<ExpectedRow> kExpectedRows = {
    {"/healthz", E::kHealthz, K::kGateway, kBoth, A::kOpen, kOllama, "r"},
    {"/readyz", E::kReadyz, K::kGateway, kBoth, A::kOpen, kOllama, "r"},
    {"/metrics", E::kMetrics, K::kGateway, Listeners::kAdminElsePublic, A::kClient, kOllama, "r"},
    {"/", E::kAdminRoot, K::kGateway, Listeners::kAdminOnly, A::kClient, kOllama, "r"},
    {"/corral/", E::kStatusPage, K::kGateway, kBoth, A::kClient, kOllama, "r"},
    {"/corral/api/status", E::kFleetStatus, K::kGateway, kBoth, A::kClient, kOllama, "r"},
    {"/corral/api/scale", E::kScaleAdvice, K::kGateway, kBoth, A::kClient, kOllama, "r"},
    {"/corral/api/reload", E::kReload, K::kGateway, kBoth, A::kAdmin, kOllama, ""},
    {"/", E::kRoot, K::kPassthrough, kBoth, A::kClient, kOllama, "rt"},
    {"/api/version", E::kVersion, K::kPassthrough, kBoth, A::kClient, kOllama, "rt"},
    {"/api/status", E::kStatus, K::kPassthrough, kBoth, A::kClient, kOllama, "rt"},
    {"/api/pull", E::kPull, K::kManagement, kBoth, A::kAdmin, kOllama, "fs"},
    {"/api/push", E::kPush, K::kManagement, kBoth, A::kAdmin, kOllama, ""},
    {"/api/tags", E::kTags, K::kAggregate, kBoth, A::kClient, kOllama, "rm"},
    {"/api/show", E::kShow, K::kPassthrough, kBoth, A::kClient, kOllama, "rt"},
    {"/api/delete", E::kDelete, K::kManagement, kBoth, A::kAdmin, kOllama, "fh"},
    {"/api/create", E::kCreate, K::kManagement, kBoth, A::kAdmin, kOllama, "fs"},
    {"/api/blobs/*", E::kBlobs, K::kManagement, kBoth, A::kAdmin, kOllama, ""},
    {"/api/copy", E::kCopy, K::kManagement, kBoth, A::kAdmin, kOllama, "fh"},
    {"/api/ps", E::kPs, K::kAggregate, kBoth, A::kClient, kOllama, "rm"},
    {"/api/generate", E::kGenerate, K::kInference, kBoth, A::kClient, kOllama, "gpt"},
    {"/api/chat", E::kChat, K::kInference, kBoth, A::kClient, kOllama, "gpt"},
    {"/api/embed", E::kEmbed, K::kInference, kBoth, A::kClient, kOllama, "gpt"},
    {"/api/embeddings", E::kEmbeddings, K::kInference, kBoth, A::kClient, kOllama, "gpt"},
    {"/v1/chat/completions", E::kOpenAIChat, K::kInference, kBoth, A::kClient, kOpenAI, "gptz"},
    {"/v1/completions", E::kOpenAICompletions, K::kInference, kBoth, A::kClient, kOpenAI, "gptz"},
    {"/v1/embeddings", E::kOpenAIEmbeddings, K::kInference, kBoth, A::kClient, kOpenAI, "gptz"},
    {"/v1/models", E::kModelsList, K::kAggregate, kBoth, A::kClient, kOpenAI, "rm"},
    {"/v1/models/*", E::kModelGet, K::kModelPath, kBoth, A::kClient, kOpenAI, "rt"},
    {"/v1/responses", E::kOpenAIResponses, K::kInference, kBoth, A::kClient, kOpenAI, "gptz"},
    {"/v1/audio/transcriptions", E::kOpenAIAudioTranscriptions, K::kPassthrough, kBoth, A::kClient, kOpenAI, "t"},
    {"/v1/messages", E::kAnthropicMessages, K::kInference, kBoth, A::kClient, kAnthropic, "gptz"},
    {"/api/me", E::kOther, K::kPassthrough, kBoth, A::kClient, kOllama, "t"},
    {"/api/signout", E::kOther, K::kPassthrough, kBoth, A::kClient, kOllama, "t"},
    {"/api/user/keys/*", E::kOther, K::kPassthrough, kBoth, A::kClient, kOllama, "t"},
    {"/api/experimental/web_search", E::kOther, K::kPassthrough, kBoth, A::kClient, kOllama, "t"},
    {"/api/experimental/web_fetch", E::kOther, K::kPassthrough, kBoth, A::kClient, kOllama, "t"},
    {"/api/experimental/model-recommendations", E::kOther, K::kPassthrough, kBoth, A::kClient, kOllama, "t"},
    {"/corral/**", E::kCorralOther, K::kGateway, kBoth, A::kAdmin, kOllama, ""},
    {"/**", E::kAdminOther, K::kGateway, Listeners::kAdminOnly, A::kClient, kOllama, ""},
};

RouteTraits traits_from(const ExpectedRow& e) {
  const auto has = [&](char c) { return e.flags.find(c) != std::string_view::npos; };
  RouteTraits t;
  t.listeners = e.listeners;
  t.access = e.access;
  t.family = e.family;
  t.read_only = has('r');
  t.generates = has('g');
  t.places_model = has('p');
  t.fans_out = has('f');
  t.retryable = has('t');
  t.merged = has('m');
  t.reports_progress = has('s');
  t.holders_only = has('h');
  t.decodes_zstd = has('z');
  return t;
}

// A concrete target for a row's path ("*" becomes a parameter, a namespace gets a rest).
std::string sample_target(const RouteRow& row) {
  std::string path(row.path);
  if (row.is_namespace()) return path.substr(0, path.size() - 2) + "unknown";
  if (path.ends_with('*')) path.back() = 'x';
  return path;
}

verb accepted_method(const RouteRow& row) {
  if (row.methods == methods::kAny || (row.methods & methods::kGet) != 0) return verb::get;
  if ((row.methods & methods::kPost) != 0) return verb::post;
  if ((row.methods & methods::kDelete) != 0) return verb::delete_;
  return verb::head;
}

RouteContext serving_context(const RouteRow& row) {
  return row.traits.listeners == Listeners::kAdminOnly ? kAdminSide : kPublicOnly;
}

TEST(RouteTable, EveryRowHasTheTraitsWrittenHere) {
  const auto table = route_table();
  ASSERT_EQ(table.size(), kExpectedRows.size()) << "a row was added or removed: list it in kExpectedRows";
  for (std::size_t i = 0; i < table.size(); ++i) {
    const RouteRow& row = table[i];
    const ExpectedRow& want = kExpectedRows[i];
    SCOPED_TRACE(std::string(row.path));
    EXPECT_EQ(row.path, want.path);
    EXPECT_EQ(row.endpoint, want.endpoint);
    EXPECT_EQ(row.kind, want.kind);
    EXPECT_TRUE(row.traits == traits_from(want)) << "flags should be '" << want.flags << "'";
  }
}

TEST(RouteTable, EndpointTraitsAreTheRowsTraits) {
  std::set<Endpoint> seen;
  for (const RouteRow& row : route_table()) {
    SCOPED_TRACE(std::string(row.path));
    EXPECT_TRUE(traits(row.endpoint) == row.traits);
    EXPECT_EQ(fans_out(row.endpoint), row.traits.fans_out);
    seen.insert(row.endpoint);
  }
  EXPECT_EQ(seen.size(), kEndpointCount - 1) << "every endpoint but kNone has a row";
  EXPECT_EQ(&traits(Endpoint::kNone), &kNoRouteTraits);
}

TEST(RouteTable, EachRowRoutesToItselfWhereItIsServed) {
  for (const RouteRow& row : route_table()) {
    SCOPED_TRACE(std::string(row.path));
    const std::string target = sample_target(row);
    const Route r = route_request(accepted_method(row), target, serving_context(row));
    EXPECT_EQ(r.kind, row.kind);
    EXPECT_EQ(r.endpoint, row.endpoint);
    EXPECT_EQ(r.family, row.traits.family);
    EXPECT_EQ(r.model_field, row.model_field);
    EXPECT_EQ(r.stream_default, row.stream_default);
    EXPECT_TRUE(r.method_allowed);
    EXPECT_EQ(r.traits, &row.traits);
  }
}

// The old switches the columns replace, pinned: accounting's `generates`, the picker's `places_model`
// for the endpoints that name a model, and the fan-out's lists.
TEST(RouteTable, ColumnsMatchTheSwitchesTheyReplace) {
  const std::set<Endpoint> generating = {E::kGenerate,   E::kChat,         E::kEmbed,
                                         E::kEmbeddings, E::kOpenAIChat,   E::kOpenAICompletions,
                                         E::kOpenAIEmbeddings, E::kOpenAIResponses, E::kAnthropicMessages};
  const std::set<Endpoint> unplaced = {E::kShow, E::kPull, E::kPush, E::kCreate,
                                       E::kDelete, E::kCopy, E::kBlobs, E::kModelGet};
  for (const RouteRow& row : route_table()) {
    SCOPED_TRACE(std::string(row.path));
    EXPECT_EQ(row.traits.generates, generating.contains(row.endpoint));
    if (row.model_field != ModelField::kNone) {
      EXPECT_EQ(row.traits.places_model, !unplaced.contains(row.endpoint));
    }
    EXPECT_EQ(row.traits.fans_out, row.endpoint == E::kPull || row.endpoint == E::kCreate ||
                                       row.endpoint == E::kCopy || row.endpoint == E::kDelete);
    EXPECT_EQ(row.traits.reports_progress, row.endpoint == E::kPull || row.endpoint == E::kCreate);
    EXPECT_EQ(row.traits.holders_only, row.endpoint == E::kDelete || row.endpoint == E::kCopy);
    // Management calls were the ones never retried, and the ones that need an admin key.
    if (row.kind != K::kGateway && row.kind != K::kAggregate) {
      EXPECT_EQ(row.traits.retryable, row.kind != K::kManagement);
    }
    if (row.kind != K::kGateway) {
      EXPECT_EQ(row.traits.access == A::kAdmin, row.kind == K::kManagement);
    }
    EXPECT_EQ(row.traits.merged, row.kind == K::kAggregate);
  }
}

// Every page the admin handler answers has a row, and every row of the gateway's own that is not a
// namespace is a page (a namespace's requests are 404s).
TEST(RouteTable, EveryAdminPageHasARow) {
  std::set<admin::Page> routed;
  for (const RouteRow& row : route_table()) {
    if (row.kind != K::kGateway) {
      EXPECT_EQ(admin::page_for(row.endpoint), admin::Page::kNone) << row.path;
      continue;
    }
    EXPECT_EQ(admin::page_for(row.endpoint) == admin::Page::kNone, row.is_namespace()) << row.path;
    routed.insert(admin::page_for(row.endpoint));
  }
  for (admin::Page page : {admin::Page::kHealth, admin::Page::kReady, admin::Page::kHtml, admin::Page::kMetrics,
                           admin::Page::kStatus, admin::Page::kScale, admin::Page::kReload}) {
    EXPECT_TRUE(routed.contains(page)) << "page " << static_cast<int>(page) << " has no row";
  }
}

// The paths docs/observability.md and admin_routes.hpp list, on the listeners they name.
TEST(RouteTable, TheDocumentedOperatorPathsAreRows) {
  struct Documented {
    verb method;
    std::string_view path;
    admin::Page page;
    bool on_public;  // with an admin listener configured
  };
  for (const Documented& d : {Documented{verb::get, "/healthz", admin::Page::kHealth, true},
                              Documented{verb::get, "/readyz", admin::Page::kReady, true},
                              Documented{verb::get, "/metrics", admin::Page::kMetrics, false},
                              Documented{verb::get, "/", admin::Page::kHtml, false},
                              Documented{verb::get, "/corral/", admin::Page::kHtml, true},
                              Documented{verb::get, "/corral/api/status", admin::Page::kStatus, true},
                              Documented{verb::get, "/corral/api/scale", admin::Page::kScale, true},
                              Documented{verb::post, "/corral/api/reload", admin::Page::kReload, true}}) {
    SCOPED_TRACE(std::string(d.path));
    const Route on_admin = route_request(d.method, d.path, kAdminSide);
    EXPECT_EQ(on_admin.kind, K::kGateway);
    EXPECT_EQ(admin::page_for(on_admin.endpoint), d.page);
    const Route on_public = route_request(d.method, d.path, kPublicBesideAdmin);
    EXPECT_EQ(on_public.kind == K::kGateway && admin::page_for(on_public.endpoint) == d.page, d.on_public);
  }
}

TEST(RouteListeners, MetricsLiveOnTheAdminListenerWhenThereIsOne) {
  EXPECT_EQ(route_request(verb::get, "/metrics", kAdminSide).endpoint, E::kMetrics);
  EXPECT_EQ(route_request(verb::get, "/metrics", kPublicOnly).endpoint, E::kMetrics);
  EXPECT_EQ(route_request(verb::get, "/metrics", kPublicBesideAdmin).kind, K::kNotFound);
}

TEST(RouteListeners, RootIsOllamaOnThePublicListenerAndTheStatusPageOnTheAdminOne) {
  const Route pub = route_request(verb::get, "/", kPublicBesideAdmin);
  EXPECT_EQ(pub.kind, K::kPassthrough);
  EXPECT_EQ(pub.endpoint, E::kRoot);
  const Route adm = route_request(verb::head, "/", kAdminSide);
  EXPECT_EQ(adm.kind, K::kGateway);
  EXPECT_EQ(adm.endpoint, E::kAdminRoot);
  // A wrong method there is the status page's 405, not Ollama's.
  const Route post = route_request(verb::post, "/", kAdminSide);
  EXPECT_EQ(post.kind, K::kGateway);
  EXPECT_FALSE(post.method_allowed);
  EXPECT_EQ(post.allow, "GET, HEAD");
}

TEST(RouteListeners, OllamaRoutesAreTheSameOnBothListeners) {
  for (const RouteRow& row : route_table()) {
    if (row.kind == K::kGateway) continue;
    SCOPED_TRACE(std::string(row.path));
    const std::string target = sample_target(row);
    const Route pub = route_request(accepted_method(row), target, kPublicBesideAdmin);
    const Route adm = route_request(accepted_method(row), target, kAdminSide);
    if (row.path == "/") {
      EXPECT_EQ(adm.endpoint, E::kAdminRoot);  // the one path the admin listener keeps for itself
      continue;
    }
    EXPECT_EQ(pub.kind, adm.kind);
    EXPECT_EQ(pub.endpoint, adm.endpoint);
    EXPECT_EQ(pub.traits, adm.traits);
  }
}

// The admin listener answers an Ollama path asked with the wrong method as the public one does: 405 with
// the route's Allow (it used to fall to the admin pages and answer 404).
TEST(RouteListeners, WrongMethodOnAnOllamaPathIs405OnBothListeners) {
  for (RouteContext where : {kPublicOnly, kAdminSide}) {
    const Route r = route_request(verb::get, "/api/generate", where);
    EXPECT_EQ(r.kind, K::kMethodNotAllowed);
    EXPECT_FALSE(r.method_allowed);
    EXPECT_EQ(r.allow, "POST");
    EXPECT_EQ(r.endpoint, E::kGenerate);
    const Route ai = route_request(verb::get, "/v1/chat/completions", where);
    EXPECT_EQ(ai.kind, K::kMethodNotAllowed);
    EXPECT_EQ(ai.family, kOpenAI);
    const Route messages = route_request(verb::get, "/v1/messages", where);
    EXPECT_EQ(messages.kind, K::kMethodNotAllowed);
    EXPECT_EQ(messages.family, kAnthropic);  // its 405 is answered in Anthropic's shape
  }
  // Refused by the table, a request is no call of the endpoint: no admin key asked for a GET of a pull.
  EXPECT_EQ(route_request(verb::get, "/api/pull").traits->access, A::kClient);
}

TEST(RouteListeners, UnknownPathsAreTheProxysOnPublicAndTheAdminListenersOwn) {
  EXPECT_EQ(route_request(verb::get, "/nothing", kPublicBesideAdmin).kind, K::kNotFound);
  const Route adm = route_request(verb::get, "/nothing", kAdminSide);
  EXPECT_EQ(adm.kind, K::kGateway);
  EXPECT_EQ(adm.endpoint, E::kAdminOther);
  EXPECT_EQ(admin::page_for(adm.endpoint), admin::Page::kNone);
}

TEST(RouteListeners, EverythingElseUnderCorralIsAnAdminCall) {
  for (RouteContext where : {kPublicBesideAdmin, kAdminSide}) {
    const Route unknown = route_request(verb::get, "/corral/api/drain", where);
    EXPECT_EQ(unknown.kind, K::kGateway);
    EXPECT_EQ(unknown.endpoint, E::kCorralOther);
    EXPECT_EQ(unknown.traits->access, A::kAdmin);
    // A view asked to change something: the page's 405, asked of an admin.
    const Route write = route_request(verb::post, "/corral/api/status", where);
    EXPECT_EQ(write.kind, K::kGateway);
    EXPECT_EQ(write.endpoint, E::kFleetStatus);
    EXPECT_FALSE(write.method_allowed);
    EXPECT_EQ(write.allow, "GET, HEAD");
    EXPECT_EQ(write.traits->access, A::kAdmin);
    const Route read_reload = route_request(verb::get, "/corral/api/reload", where);
    EXPECT_EQ(read_reload.endpoint, E::kReload);
    EXPECT_FALSE(read_reload.method_allowed);
    EXPECT_EQ(read_reload.allow, "POST");
    EXPECT_EQ(read_reload.traits->access, A::kAdmin);
  }
  // Outside the namespace a page's wrong method keeps the page's own access.
  const Route post_metrics = route_request(verb::post, "/metrics", kPublicOnly);
  EXPECT_EQ(post_metrics.kind, K::kGateway);
  EXPECT_FALSE(post_metrics.method_allowed);
  EXPECT_EQ(post_metrics.traits->access, A::kClient);
  EXPECT_EQ(route_request(verb::get, "/corral", kPublicOnly).kind, K::kNotFound);  // not under /corral/
}

TEST(RouteListeners, ProbesTakeAnyMethodAndAskNothing) {
  for (RouteContext where : {kPublicOnly, kAdminSide}) {
    for (verb method : {verb::get, verb::head, verb::post, verb::put}) {
      const Route r = route_request(method, "/healthz", where);
      EXPECT_EQ(r.kind, K::kGateway);
      EXPECT_TRUE(r.method_allowed);
      EXPECT_EQ(r.traits->access, A::kOpen);
    }
  }
}

// gin's trailing-slash redirect applies to Ollama's paths only: the gateway's own paths plus a slash
// are unknown (the proxy's 404 on the public listener, the admin listener's own 404 there).
TEST(RouteListeners, OnlyOllamaPathsRedirectATrailingSlash) {
  EXPECT_EQ(route_request(verb::get, "/api/tags/", kAdminSide).kind, K::kRedirect);
  EXPECT_EQ(route_request(verb::get, "/healthz/", kPublicOnly).kind, K::kNotFound);
  EXPECT_EQ(route_request(verb::get, "/metrics/", kPublicOnly).kind, K::kNotFound);
  EXPECT_EQ(route_request(verb::get, "/healthz/", kAdminSide).endpoint, E::kAdminOther);
  EXPECT_EQ(route_request(verb::get, "/corral/api/status/", kPublicOnly).endpoint, E::kCorralOther);
}

}  // namespace
}  // namespace corral::routing
