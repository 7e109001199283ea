#include "fleet_ops/aggregate.hpp"

#include <gtest/gtest.h>

namespace corral::fleet_ops {
namespace {

TEST(Aggregate, TagsMergedNewestFirstAndDeduplicated) {
  const std::vector<std::string> bodies = {
      R"({"models":[{"name":"a:latest","modified_at":"2024-05-01T10:00:00Z","size":1},)"
      R"({"name":"b:latest","modified_at":"2024-05-03T10:00:00+02:00","size":2}]})",
      R"({"models":[{"name":"a:latest","modified_at":"2024-05-02T10:00:00Z","size":3},)"
      R"({"name":"c:7b","modified_at":"2024-05-01T09:00:00.5-01:00","size":4}]})",
      "not json",
      R"({"models":[]})"};
  EXPECT_EQ(merge_tags(bodies),
            R"({"models":[{"name":"b:latest","modified_at":"2024-05-03T10:00:00+02:00","size":2},)"
            R"({"name":"a:latest","modified_at":"2024-05-02T10:00:00Z","size":3},)"
            R"({"name":"c:7b","modified_at":"2024-05-01T09:00:00.5-01:00","size":4}]})");
}

TEST(Aggregate, EmptyForms) {
  EXPECT_EQ(merge_tags({}), R"({"models":[]})");
  EXPECT_EQ(merge_ps({R"({"models":[]})"}), R"({"models":[]})");
  EXPECT_EQ(merge_openai_models({}), R"({"object":"list","data":null})");
  EXPECT_EQ(merge_openai_models({R"({"object":"list","data":null})"}), R"({"object":"list","data":null})");
}

TEST(Aggregate, PsByExpiry) {
  const std::vector<std::string> bodies = {
      R"({"models":[{"name":"x:latest","expires_at":"2024-05-01T10:00:00Z"}]})",
      R"({"models":[{"name":"y:latest","expires_at":"2318-05-01T10:00:00Z"}]})"};
  EXPECT_EQ(merge_ps(bodies), R"({"models":[{"name":"y:latest","expires_at":"2318-05-01T10:00:00Z"},)"
                              R"({"name":"x:latest","expires_at":"2024-05-01T10:00:00Z"}]})");
}

TEST(Aggregate, OpenAIModels) {
  const std::vector<std::string> bodies = {
      R"({"object":"list","data":[{"id":"a:latest","object":"model","created":10,"owned_by":"library"}]})",
      R"({"object":"list","data":[{"id":"b:latest","object":"model","created":20,"owned_by":"library"},)"
      R"({"id":"a:latest","object":"model","created":5,"owned_by":"library"}]})"};
  EXPECT_EQ(merge_openai_models(bodies),
            R"({"object":"list","data":[{"id":"b:latest","object":"model","created":20,"owned_by":"library"},)"
            R"({"id":"a:latest","object":"model","created":10,"owned_by":"library"}]})");
}

TEST(Aggregate, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01Z"), (Instant{1, 0}));
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:01+01:00"), (Instant{1, 0}));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.000000001Z"), (Instant{0, 1}));
  EXPECT_LT(*parse_rfc3339("2262-05-01T10:00:00Z"), *parse_rfc3339("2318-05-01T10:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("1970-01-01T00:00:00"));
}

}  // namespace
}  // namespace corral::fleet_ops
