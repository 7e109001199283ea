// Untrusted bodies: every truncation and many random byte flips of valid requests must give either a
// clean result or an error value, never a crash, an assertion or a sanitizer report (run under ASan).
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "routing/request_info.hpp"

namespace corral::routing {
namespace {

const std::vector<std::string>& samples() {
  static const std::vector<std::string> kSamples{
      R"({"model":"llama3:8b","prompt":"Why is the sky blue?","stream":false,"options":{"num_ctx":4096}})",
      R"({"model":"m","messages":[{"role":"user","content":"hi \"there\" \\ \u00e9","images":["QUJD"]}],"keep_alive":"5m"})",
      R"({"name":"user/m:tag","insecure":true,"stream":null,"model":""})",
      R"({"source":"a","destination":"b:1"})",
      R"({"model":"x","context":[1,2,3,4,5],"format":{"type":"object","properties":{"a":{"type":["string","null"]}}}})",
  };
  return kSamples;
}

void check(const Route& route, std::string body) {
  const RequestInfo info = extract_request_info(route, body);
  if (info.ok()) {
    EXPECT_FALSE(info.model_key.empty());
  } else {
    EXPECT_FALSE(info.error_message.empty());
  }
}

TEST(RequestInfoRobustness, EveryTruncation) {
  for (const char* path : {"/api/generate", "/api/chat", "/api/pull", "/api/copy", "/v1/chat/completions"}) {
    const Route route = route_request(http::verb::post, path);
    for (const std::string& sample : samples()) {
      for (std::size_t n = 0; n <= sample.size(); ++n) check(route, sample.substr(0, n));
    }
  }
}

TEST(RequestInfoRobustness, RandomByteFlips) {
  std::mt19937_64 rng(1234);
  const std::string alphabet = "{}[]\":,\\ nulltruefalse0123456789.-eE\x01\xff\xc3";
  for (const char* path : {"/api/generate", "/api/chat", "/api/show", "/api/copy"}) {
    const Route route = route_request(http::verb::post, path);
    for (int i = 0; i < 4000; ++i) {
      std::string body = samples()[rng() % samples().size()];
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) body[rng() % body.size()] = alphabet[rng() % alphabet.size()];
      check(route, body);
    }
  }
}

TEST(RequestInfoRobustness, DeepNestingInSkippedValues) {
  std::string deep = R"({"model":"m","format":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  const auto info = extract_request_info(route_request(http::verb::post, "/api/generate"), deep);
  // simdjson caps depth; either way the answer is a value, not a crash.
  if (!info.ok()) {
    EXPECT_EQ(info.error, RequestError::kBadJson);
  }
}

}  // namespace
}  // namespace corral::routing
