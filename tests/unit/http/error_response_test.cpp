#include "http/error_response.hpp"

#include <gtest/gtest.h>

namespace corral::http1 {
namespace {

TEST(ErrorResponse, StatusTableCoversEveryKind) {
  EXPECT_EQ(error_info(ErrorKind::kBadRequest).status, 400);
  EXPECT_EQ(error_info(ErrorKind::kPayloadTooLarge).status, 413);
  EXPECT_EQ(error_info(ErrorKind::kHeadersTooLarge).status, 431);
  EXPECT_EQ(error_info(ErrorKind::kUriTooLong).status, 414);
  EXPECT_EQ(error_info(ErrorKind::kQueueFull).status, 503);
  EXPECT_TRUE(error_info(ErrorKind::kQueueTimeout).retry_after);
  EXPECT_EQ(error_info(ErrorKind::kUpstreamConnectTimeout).status, 504);
  EXPECT_TRUE(error_info(ErrorKind::kUpstreamConnectFailed).retryable);
  EXPECT_FALSE(error_info(ErrorKind::kUpstreamFirstByteTimeout).retryable);
  EXPECT_EQ(error_info(ErrorKind::kClientClosed).status, 499);
  EXPECT_EQ(error_info(ErrorKind::kInternal).status, 500);
}

TEST(ErrorResponse, OllamaShape) {
  EXPECT_EQ(error_body(routing::ErrorFamily::kOllama, 400, "model is required"), R"({"error":"model is required"})");
  EXPECT_EQ(error_body(routing::ErrorFamily::kOllama, 400, "a<b"), R"({"error":"a\u003cb"})");
}

TEST(ErrorResponse, OpenAIShapeTypeFollowsStatus) {
  EXPECT_EQ(error_body(routing::ErrorFamily::kOpenAI, 400, "bad"),
            R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}})");
  EXPECT_EQ(error_body(routing::ErrorFamily::kOpenAI, 404, "x"),
            R"({"error":{"message":"x","type":"not_found_error","param":null,"code":null}})");
  EXPECT_EQ(error_body(routing::ErrorFamily::kOpenAI, 503, "busy"),
            R"({"error":{"message":"busy","type":"api_error","param":null,"code":null}})");
}

// Anthropic's shape, typed from the status as Ollama's anthropic.NewError does.
TEST(ErrorResponse, AnthropicShapeTypeFollowsStatus) {
  const auto body = [](int status) { return error_body(routing::ErrorFamily::kAnthropic, status, "m \"q\""); };
  const auto typed = [](std::string_view type) {
    return R"({"type":"error","error":{"type":")" + std::string(type) + R"(","message":"m \"q\""}})";
  };
  EXPECT_EQ(body(400), typed("invalid_request_error"));
  EXPECT_EQ(body(401), typed("authentication_error"));
  EXPECT_EQ(body(403), typed("permission_error"));
  EXPECT_EQ(body(404), typed("not_found_error"));
  EXPECT_EQ(body(429), typed("rate_limit_error"));
  EXPECT_EQ(body(503), typed("overloaded_error"));
  EXPECT_EQ(body(529), typed("overloaded_error"));
  for (int other : {405, 408, 413, 415, 500, 502, 504}) EXPECT_EQ(body(other), typed("api_error")) << other;
}

// Every gateway-made error kind on /v1/messages: Anthropic's JSON (405 included, not gin's text), the
// type from its status, Retry-After where the table has one.
TEST(ErrorResponse, EveryKindInTheAnthropicShape) {
  struct Case {
    ErrorKind kind;
    std::string_view type;
    bool retry_after;
  };
  for (const Case c : {Case{ErrorKind::kBadRequest, "invalid_request_error", false},
                       Case{ErrorKind::kModelNotFound, "not_found_error", false},
                       Case{ErrorKind::kQueueFull, "overloaded_error", true},
                       Case{ErrorKind::kQueueTimeout, "overloaded_error", true},
                       Case{ErrorKind::kNoEligibleBackend, "overloaded_error", true},
                       Case{ErrorKind::kRateLimited, "rate_limit_error", true},
                       Case{ErrorKind::kPayloadTooLarge, "api_error", false},
                       Case{ErrorKind::kMethodNotAllowed, "api_error", false},
                       Case{ErrorKind::kUpstreamConnectFailed, "api_error", false},
                       Case{ErrorKind::kUpstreamFirstByteTimeout, "api_error", false}}) {
    SCOPED_TRACE(std::string(error_info(c.kind).name));
    ResponseOptions o;
    o.allow = c.kind == ErrorKind::kMethodNotAllowed ? "POST" : "";
    const std::string r = error_response(ProxyError{c.kind, {}}, routing::ErrorFamily::kAnthropic, o);
    EXPECT_EQ(r.rfind("HTTP/1.1 " + std::to_string(error_info(c.kind).status) + " ", 0), 0u);
    EXPECT_NE(r.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
    const std::string body = R"({"type":"error","error":{"type":")" + std::string(c.type) + R"(","message":")" +
                             std::string(error_info(c.kind).message) + R"("}})";
    EXPECT_EQ(r.substr(r.size() - body.size()), body);
    EXPECT_EQ(r.find("\r\nRetry-After: 1\r\n") != std::string::npos, c.retry_after);
  }
  // The same 405 stays gin's text on the other families, as Ollama answers it.
  EXPECT_NE(error_response(ProxyError{ErrorKind::kMethodNotAllowed, {}}, routing::ErrorFamily::kOpenAI, {})
                .find("Content-Type: text/plain\r\n"),
            std::string::npos);
}

TEST(ErrorResponse, RefusalsOfTheKeyCheckAndOfACodingInTheAnthropicShape) {
  ResponseOptions o;
  o.bearer_challenge = true;
  std::string r = refusal_response(401, routing::ErrorFamily::kAnthropic, "invalid API key", o);
  EXPECT_EQ(r.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u);
  EXPECT_NE(r.find(R"({"type":"error","error":{"type":"authentication_error","message":"invalid API key"}})"),
            std::string::npos);
  EXPECT_NE(r.find("\r\nWWW-Authenticate: Bearer realm=\"corral\"\r\n"), std::string::npos);
  r = refusal_response(403, routing::ErrorFamily::kAnthropic, "no", {});
  EXPECT_NE(r.find(R"("type":"permission_error")"), std::string::npos);
  ResponseOptions coding;
  coding.accept_encoding = "zstd";
  r = refusal_response(415, routing::ErrorFamily::kAnthropic, "unsupported Content-Encoding \"gzip\"", coding);
  EXPECT_EQ(r.rfind("HTTP/1.1 415 Unsupported Media Type\r\n", 0), 0u);
  EXPECT_NE(r.find("\r\nAccept-Encoding: zstd\r\n"), std::string::npos);
  EXPECT_NE(r.find(R"("type":"api_error","message":"unsupported Content-Encoding \"gzip\"")"), std::string::npos);
}

TEST(ErrorResponse, QueueFullCarriesRetryAfterAndClose) {
  ResponseOptions o;
  o.retry_after = 7;
  o.keep_alive = false;
  o.request_id = "r1";
  const std::string r = error_response(ProxyError{ErrorKind::kQueueFull, {}}, routing::ErrorFamily::kOllama, o);
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(r.find("\r\nRetry-After: 7\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nX-Request-ID: r1\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Type: application/json; charset=utf-8"), std::string::npos);
  EXPECT_NE(r.find(R"({"error":"server busy)"), std::string::npos);
}

TEST(ErrorResponse, NotFoundIsGinText) {
  const std::string r = error_response(ProxyError{ErrorKind::kNotFound, {}}, routing::ErrorFamily::kOpenAI, {});
  EXPECT_NE(r.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 18), "404 page not found");
}

TEST(ErrorResponse, HeadOnlyKeepsLengthWithoutBody) {
  ResponseOptions o;
  o.head_only = true;
  const std::string r = simple_response(200, "text/plain", "Ollama is running", o);
  EXPECT_NE(r.find("Content-Length: 17\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace corral::http1
