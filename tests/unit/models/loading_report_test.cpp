// The cold-start report lists exactly the loads under way, with the expected remaining time from the
// model's size and the configured load rate.
#include "models/loading_report.hpp"

#include <gtest/gtest.h>

#include "admission/admission_controller.hpp"
#include "config/config_loader.hpp"
#include "common/hash.hpp"

namespace corral::models {
namespace {

TEST(LoadingReport, ListsLoadsUnderWayWithTheirRemainingTime) {
  config::Config c = config::quick_config("127.0.0.1:0", {"http://127.0.0.1:1", "http://127.0.0.1:2"}, 1);
  c.placement.load_rate = 1'000'000'000;  // 1 GB/s
  admission::AdmissionController admission(c);
  upstream::BackendRegistry registry(c, admission);
  const auto snap = registry.current();
  auto& catalog = snap->pools[0].members[1]->backend->catalog;
  auto loading = catalog.state(common::hash_key("m:latest"), "m:latest");
  loading->disk_bytes = 4'000'000'000;
  loading->loading_since_ns = 10'000'000'000;
  catalog.state(common::hash_key("idle:latest"), "idle:latest")->loaded = true;

  const auto report = loading_models(*snap, 11'000'000'000);
  ASSERT_EQ(report.size(), 1U);
  EXPECT_EQ(report[0].backend, snap->pools[0].members[1]->backend->name);
  EXPECT_EQ(report[0].model, "m:latest");
  EXPECT_EQ(report[0].since_ns, 10'000'000'000);
  EXPECT_EQ(report[0].remaining_ns, 3'000'000'000);
  EXPECT_EQ(loading_models(*snap, 20'000'000'000)[0].remaining_ns, 0);  // overdue, never negative
}

}  // namespace
}  // namespace corral::models
