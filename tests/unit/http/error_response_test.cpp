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
