#include "routing/router.hpp"

#include <gtest/gtest.h>

namespace corral::routing {
namespace {

using http::verb;

TEST(Router, InferenceEndpoints) {
  auto r = route_request(verb::post, "/api/generate");
  EXPECT_EQ(r.kind, RouteKind::kInference);
  EXPECT_EQ(r.endpoint, Endpoint::kGenerate);
  EXPECT_EQ(r.family, ErrorFamily::kOllama);
  EXPECT_EQ(r.model_field, ModelField::kModel);
  EXPECT_TRUE(r.stream_default);
  EXPECT_TRUE(r.needs_body_model());

  r = route_request(verb::post, "/api/chat?x=1");
  EXPECT_EQ(r.endpoint, Endpoint::kChat);
  EXPECT_TRUE(r.stream_default);

  r = route_request(verb::post, "/api/embed");
  EXPECT_EQ(r.endpoint, Endpoint::kEmbed);
  EXPECT_FALSE(r.stream_default);

  r = route_request(verb::post, "/v1/chat/completions");
  EXPECT_EQ(r.kind, RouteKind::kInference);
  EXPECT_EQ(r.endpoint, Endpoint::kOpenAIChat);
  EXPECT_EQ(r.family, ErrorFamily::kOpenAI);
  EXPECT_FALSE(r.stream_default);

  EXPECT_EQ(route_request(verb::post, "/v1/completions").endpoint, Endpoint::kOpenAICompletions);
  EXPECT_EQ(route_request(verb::post, "/v1/embeddings").endpoint, Endpoint::kOpenAIEmbeddings);
  EXPECT_EQ(route_request(verb::post, "/v1/responses").kind, RouteKind::kInference);
  EXPECT_EQ(route_request(verb::post, "/v1/messages").kind, RouteKind::kInference);
}

TEST(Router, AggregateManagementPassthrough) {
  EXPECT_EQ(route_request(verb::get, "/api/tags").kind, RouteKind::kAggregate);
  EXPECT_EQ(route_request(verb::head, "/api/tags").kind, RouteKind::kAggregate);
  EXPECT_EQ(route_request(verb::get, "/api/ps").kind, RouteKind::kAggregate);
  auto models = route_request(verb::get, "/v1/models");
  EXPECT_EQ(models.kind, RouteKind::kAggregate);
  EXPECT_EQ(models.family, ErrorFamily::kOpenAI);

  for (auto [method, path, endpoint] : {std::tuple{verb::post, "/api/pull", Endpoint::kPull},
                                        std::tuple{verb::post, "/api/push", Endpoint::kPush},
                                        std::tuple{verb::post, "/api/create", Endpoint::kCreate},
                                        std::tuple{verb::delete_, "/api/delete", Endpoint::kDelete}}) {
    const auto r = route_request(method, path);
    EXPECT_EQ(r.kind, RouteKind::kManagement) << path;
    EXPECT_EQ(r.endpoint, endpoint) << path;
    EXPECT_EQ(r.model_field, ModelField::kModelOrName) << path;
  }
  EXPECT_TRUE(route_request(verb::post, "/api/pull").stream_default);
  EXPECT_FALSE(route_request(verb::delete_, "/api/delete").stream_default);
  const auto copy = route_request(verb::post, "/api/copy");
  EXPECT_EQ(copy.kind, RouteKind::kManagement);
  EXPECT_EQ(copy.model_field, ModelField::kSourceDestination);
  const auto blob = route_request(verb::head, "/api/blobs/sha256:abc");
  EXPECT_EQ(blob.kind, RouteKind::kManagement);
  EXPECT_EQ(blob.endpoint, Endpoint::kBlobs);
  EXPECT_FALSE(blob.needs_body_model());

  EXPECT_EQ(route_request(verb::get, "/").kind, RouteKind::kPassthrough);
  EXPECT_EQ(route_request(verb::head, "/").endpoint, Endpoint::kRoot);
  EXPECT_EQ(route_request(verb::get, "/api/version").endpoint, Endpoint::kVersion);
  const auto show = route_request(verb::post, "/api/show");
  EXPECT_EQ(show.kind, RouteKind::kPassthrough);
  EXPECT_EQ(show.model_field, ModelField::kModelOrName);
}

TEST(Router, ModelInPath) {
  const std::string target = "/v1/models/llama3:8b?x";
  const auto r = route_request(verb::get, target);
  EXPECT_EQ(r.kind, RouteKind::kModelPath);
  EXPECT_EQ(r.endpoint, Endpoint::kModelGet);
  EXPECT_EQ(r.model_field, ModelField::kPath);
  EXPECT_EQ(r.path_model, "llama3:8b");
  EXPECT_EQ(r.path_model.data(), target.data() + 11);  // a view into the target
  EXPECT_EQ(route_request(verb::get, "/v1/models/user/m").kind, RouteKind::kNotFound);  // no '/' in the parameter
}

TEST(Router, MethodRulesFollowGin) {
  auto r = route_request(verb::get, "/api/generate");
  EXPECT_EQ(r.kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(r.allow, "POST");
  r = route_request(verb::post, "/api/tags");
  EXPECT_EQ(r.kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(r.allow, "GET, HEAD");
  EXPECT_EQ(route_request(verb::head, "/api/ps").kind, RouteKind::kMethodNotAllowed);  // Ollama registers GET only
  EXPECT_EQ(route_request(verb::post, "/api/delete").kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(route_request(verb::put, "/api/chat").kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(route_request(verb::get, "/api/nothing").kind, RouteKind::kNotFound);
  EXPECT_EQ(route_request(verb::get, "/API/tags").kind, RouteKind::kNotFound);  // paths are case-sensitive
  EXPECT_EQ(route_request(verb::get, "").kind, RouteKind::kNotFound);
}

TEST(Router, TrailingSlashRedirects) {
  const std::string target = "/api/tags/?a=b";
  const auto r = route_request(verb::get, target);
  EXPECT_EQ(r.kind, RouteKind::kRedirect);
  EXPECT_EQ(r.redirect_path, "/api/tags");
  EXPECT_EQ(route_request(verb::get, "/v1/models/").kind, RouteKind::kRedirect);
  EXPECT_EQ(route_request(verb::get, "/nothing/").kind, RouteKind::kNotFound);
}

TEST(Router, EndpointNamesAreStable) {
  EXPECT_EQ(to_string(Endpoint::kGenerate), "generate");
  EXPECT_EQ(to_string(Endpoint::kOpenAIChat), "openai_chat");
  EXPECT_EQ(to_string(Endpoint::kModelsList), "models_list");
}

}  // namespace
}  // namespace corral::routing

namespace corral::routing {
namespace {

TEST(Router, DecodePathSegment) {
  EXPECT_EQ(decode_path_segment("llama3%3A8b"), "llama3:8b");
  EXPECT_EQ(decode_path_segment("llama3:8b"), "llama3:8b");
  EXPECT_EQ(decode_path_segment("a%20b"), "a b");
  EXPECT_FALSE(decode_path_segment("a%2Fb"));  // a decoded '/' would change the route
  EXPECT_FALSE(decode_path_segment("a%00"));
  EXPECT_FALSE(decode_path_segment("a%4"));
  EXPECT_FALSE(decode_path_segment("a%"));
  EXPECT_FALSE(decode_path_segment("a%zz"));
}

}  // namespace
}  // namespace corral::routing
