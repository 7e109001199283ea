// The status page's rolling window, driven by explicit time points.
#include <gtest/gtest.h>

#include "metrics/window_stats.hpp"

namespace corral::metrics {
namespace {

using namespace std::chrono_literals;
using Clock = WindowStats::Clock;

Clock::time_point at(std::chrono::milliseconds ms) { return Clock::time_point(ms); }

TEST(WindowStats, RatesPerBucketAndOverTheWindow) {
  WindowStats w(10s, 6);
  for (int i = 0; i < 50; ++i) w.record(at(1000s + std::chrono::milliseconds(i * 100)), false, 100ms);  // bucket 100
  for (int i = 0; i < 20; ++i) w.record(at(1010s + std::chrono::milliseconds(i * 100)), i < 5, std::nullopt);  // 101
  const auto s = w.snapshot(at(1025s));  // current bucket 102, half done
  ASSERT_EQ(s.points.size(), 6u);
  EXPECT_EQ(s.points.front().bucket_index, 97);
  EXPECT_EQ(s.points.back().bucket_index, 102);
  EXPECT_EQ(s.points[3].requests, 50u);
  EXPECT_DOUBLE_EQ(s.points[3].requests_per_s, 5.0);
  EXPECT_EQ(s.points[4].requests, 20u);
  EXPECT_EQ(s.points[4].errors, 5u);
  EXPECT_FALSE(s.points[4].ttft_p50_s.has_value());
  EXPECT_EQ(s.points[5].requests, 0u);
  EXPECT_EQ(s.requests, 70u);
  EXPECT_EQ(s.errors, 5u);
  EXPECT_DOUBLE_EQ(s.requests_per_s, 70.0 / 50.0);  // five complete buckets
  ASSERT_TRUE(s.ttft_p50_s.has_value());
  EXPECT_GT(*s.ttft_p50_s, 0.075);
  EXPECT_LE(*s.ttft_p50_s, 0.1);
}

TEST(WindowStats, OldBucketsAreRecycled) {
  WindowStats w(10s, 3);
  w.record(at(0s), false, std::nullopt);
  w.record(at(35s), false, std::nullopt);  // same ring slot as t=5s... index 3 -> slot 0
  const auto s = w.snapshot(at(35s));
  EXPECT_EQ(s.requests, 1u);
  // A late record for a slot already reused is dropped, not mixed into the new bucket.
  w.record(at(1s), false, std::nullopt);
  EXPECT_EQ(w.snapshot(at(35s)).requests, 1u);
}

TEST(WindowStats, QuantilesInterpolateInsideBuckets) {
  WindowStats w(10s, 3);
  for (int i = 0; i < 95; ++i) w.record(at(1s), false, 40ms);    // (0.035, 0.05]
  for (int i = 0; i < 5; ++i) w.record(at(1s), false, 2500ms);   // (2, 3]
  const auto s = w.snapshot(at(2s));
  ASSERT_TRUE(s.ttft_p50_s && s.ttft_p95_s);
  EXPECT_GT(*s.ttft_p50_s, 0.035);
  EXPECT_LE(*s.ttft_p50_s, 0.05);
  EXPECT_LE(*s.ttft_p95_s, 0.05);  // the 95th of 100 is still in the fast bucket
  w.record(at(1s), false, 2500ms);
  const auto s2 = w.snapshot(at(2s));
  EXPECT_GT(*s2.ttft_p95_s, 2.0);
}

TEST(WindowStats, JsonHasTheDocumentedFields) {
  WindowStats w(10s, 2);
  w.record(at(5s), true, 100ms);
  const auto j = WindowStats::to_json(w.snapshot(at(15s)));
  for (const char* key : {"\"bucket_seconds\":10", "\"requests_per_s\":", "\"errors\":1", "\"ttft_p50_s\":",
                          "\"ttft_p95_s\":", "\"points\":[{\"age_s\":15,", "\"ttft_p50_s\":null"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << " in " << j;
  }
}

}  // namespace
}  // namespace corral::metrics
