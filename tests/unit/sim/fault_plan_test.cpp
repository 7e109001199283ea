// The fault plan's JSON contract (docs/simulator.md): every key, the defaults filled in, strict
// rejection of unknown keys and bad values, and the per-request countdown of FaultState.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/fault_plan.hpp"

namespace corral::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

FaultPlan parse_ok(std::string_view json) {
  std::string error;
  auto plan = parse_fault_plan(json, error);
  EXPECT_TRUE(plan.has_value()) << json << ": " << error;
  return plan.value_or(FaultPlan{});
}

TEST(FaultPlan, EveryKeyIsRead) {
  const auto p = parse_ok(R"({"refuse_connections":true,"error_status":502,"error_message":"m","stall_after_chunks":1,
                              "stall_for":"250ms","close_after_chunks":4,"health_delay":1.5,"exit":false,
                              "requests":3,"duration":"1m"})");
  EXPECT_TRUE(p.refuse_connections);
  EXPECT_EQ(p.error_status, 502);
  EXPECT_EQ(p.error_message, "m");
  EXPECT_EQ(p.stall_after_chunks, 1);
  EXPECT_EQ(p.stall_for, milliseconds(250));
  EXPECT_EQ(p.close_after_chunks, 4);
  EXPECT_EQ(p.health_delay, milliseconds(1500));
  EXPECT_FALSE(p.exit);
  EXPECT_EQ(p.requests, 3);
  EXPECT_EQ(p.duration, seconds(60));
}

TEST(FaultPlan, DefaultsFilledIn) {
  const auto empty = parse_ok("{}");
  EXPECT_FALSE(empty.affects_requests());
  EXPECT_EQ(empty.requests, -1);
  // A stall without a length lasts long enough to look like a hung worker.
  EXPECT_EQ(parse_ok(R"({"stall_after_chunks":0})").stall_for, std::chrono::hours(1));
  EXPECT_EQ(parse_ok(R"({"error_status":503})").error_message,
            "server busy, please try again.  maximum pending requests exceeded");
  EXPECT_EQ(parse_ok(R"({"error_status":500})").error_message,
            "an error was encountered while running the model: simulated fault");
  EXPECT_EQ(parse_ok(R"({"error_status":429})").error_message, "simulated fault");
}

TEST(FaultPlan, RejectsUnknownKeysAndBadValues) {
  for (std::string_view bad : {R"({"refuse":true})", R"({"error_status":399})", R"({"error_status":600})",
                               R"({"error_status":"500"})", R"({"stall_after_chunks":-1})", R"({"stall_for":"-1s"})",
                               R"({"stall_for":"soon"})", R"({"exit":1})", R"({"requests":-2})", "[]", "", "{"}) {
    std::string error;
    EXPECT_FALSE(parse_fault_plan(bad, error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  (void)parse_fault_plan(R"({"nope":1})", error);
  EXPECT_EQ(error, R"(fault plan: unknown key "nope")");
}

TEST(FaultState, RequestsCountDownThenThePlanStopsHitting) {
  FaultState faults;
  EXPECT_FALSE(faults.any());
  faults.set(parse_ok(R"({"close_after_chunks":2,"requests":2})"));
  ASSERT_TRUE(faults.take_for_request().has_value());
  const auto second = faults.take_for_request();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->close_after_chunks, 2);
  EXPECT_FALSE(faults.take_for_request().has_value());
  EXPECT_EQ(faults.current().requests, 0);
  faults.clear();
  EXPECT_FALSE(faults.any());
  EXPECT_EQ(faults.current().close_after_chunks, -1);
}

TEST(FaultState, ConnectionAndHealthFaultsLeaveRequestsAlone) {
  FaultState faults;
  faults.set(parse_ok(R"({"refuse_connections":true,"health_delay":"2s"})"));
  EXPECT_TRUE(faults.refuse_connections());
  EXPECT_EQ(faults.health_delay(), seconds(2));
  EXPECT_FALSE(faults.take_for_request().has_value());
}

}  // namespace
}  // namespace corral::sim
