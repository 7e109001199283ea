// The merge rules of the management fan-out (docs/models.md, "Management calls"): tagging keeps Ollama's
// fields, a backend's own success cannot end a client's reading early, and the merged status names the
// backends that failed.
#include "fleet_ops/management_merge.hpp"

#include <gtest/gtest.h>

namespace corral::fleet_ops {
namespace {

using routing::Endpoint;

TEST(ManagementMerge, TagAddsTheBackendLastAndKeepsOllamasFields) {
  EXPECT_EQ(tag_line(R"({"status":"pulling abc","digest":"sha256:1","total":10,"completed":5})", "gpu-a"),
            R"({"status":"pulling abc","digest":"sha256:1","total":10,"completed":5,"backend":"gpu-a"})" "\n");
  EXPECT_EQ(tag_line("{\"status\":\"writing manifest\"}\r\n", "b\"1"), R"({"status":"writing manifest","backend":"b\"1"})" "\n");
  EXPECT_EQ(tag_line("{}", "a"), R"({"backend":"a"})" "\n");
  EXPECT_EQ(tag_line("not json", "a"), "not json\n");
}

TEST(ManagementMerge, ABackendsSuccessIsNotTheClientsSuccess) {
  EXPECT_TRUE(is_success(R"({"status":"success"})"));
  EXPECT_FALSE(is_success(R"({"status":"pulling manifest"})"));
  EXPECT_FALSE(is_success(finished_line("a")));
  EXPECT_EQ(finished_line("a"), R"({"status":"finished","backend":"a"})" "\n");
  EXPECT_EQ(waiting_line("gpu\"b"), R"({"status":"waiting for another pull on gpu\"b","backend":"gpu\"b"})" "\n");
  EXPECT_FALSE(is_success(waiting_line("a")));
  EXPECT_EQ(error_field(R"({"error":"pull model manifest: file does not exist"})"),
            "pull model manifest: file does not exist");
  EXPECT_FALSE(error_field(R"({"status":"success"})").has_value());
  EXPECT_FALSE(error_field("{broken").has_value());
}

TEST(ManagementMerge, HeaderNamesAreTrimmedAndBlanksSkipped) {
  const auto names = split_names(" a , b,,c ");
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], "a");
  EXPECT_EQ(names[1], "b");
  EXPECT_EQ(names[2], "c");
  EXPECT_TRUE(split_names("").empty());
}

TEST(ManagementMerge, OutcomesBecomeOneAnswer) {
  const BackendOutcome a_ok{"a", 200, true, ""};
  const BackendOutcome b_ok{"b", 200, true, ""};
  const BackendOutcome b_down{"b", 0, false, "the backend is down or ejected"};
  const BackendOutcome c_500{"c", 500, false, "pull model manifest: file does not exist"};
  EXPECT_EQ(merge_outcomes(Endpoint::kPull, "m", {a_ok, b_ok}).status, 200);
  const Verdict failed = merge_outcomes(Endpoint::kPull, "m", {a_ok, b_down, c_500});
  EXPECT_EQ(failed.status, 502);
  EXPECT_EQ(failed.error, "pull failed on b: the backend is down or ejected; c: pull model manifest: file does not exist");
  // The same client mistake everywhere is passed on.
  const BackendOutcome a_400{"a", 400, false, "invalid model name"};
  const BackendOutcome b_400{"b", 400, false, "invalid model name"};
  const Verdict bad = merge_outcomes(Endpoint::kCreate, "m", {a_400, b_400});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error, "invalid model name");
  EXPECT_EQ(merge_outcomes(Endpoint::kCreate, "m", {a_400, b_down}).status, 502);
}

TEST(ManagementMerge, DeleteAndCopyOfAModelNobodyHasIsOllamas404) {
  const BackendOutcome a_ok{"a", 200, true, ""};
  const BackendOutcome b_404{"b", 404, false, "model 'm' not found"};
  EXPECT_EQ(merge_outcomes(Endpoint::kDelete, "m", {a_ok, b_404}).status, 200);  // b had nothing to delete
  const Verdict none = merge_outcomes(Endpoint::kDelete, "m", {b_404});
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.error, "model 'm' not found");
  EXPECT_EQ(merge_outcomes(Endpoint::kDelete, "m", {}).error, "model 'm' not found");
  EXPECT_EQ(merge_outcomes(Endpoint::kCopy, "src", {}).error, R"(model "src" not found)");
  // A copy whose source vanished on one backend is that backend's failure.
  EXPECT_EQ(merge_outcomes(Endpoint::kCopy, "src", {a_ok, b_404}).status, 502);
}

}  // namespace
}  // namespace corral::fleet_ops
