// The exposition format, byte for byte: golden text for a small registry, label escaping,
// cumulative histogram buckets, hidden series.
#include <gtest/gtest.h>

#include "metrics/prometheus_text.hpp"
#include "metrics/registry.hpp"

namespace corral::metrics {
namespace {

constexpr double kBounds[] = {0.1, 1, 2.5};

TEST(PrometheusText, GoldenSmallRegistry) {
  Registry r;
  auto& req = r.add("demo_requests_total", "Requests by model.", MetricType::counter, {"model", "status"});
  auto& up = r.add("demo_up", "Whether it is up.", MetricType::gauge, {});
  auto& lat = r.add("demo_latency_seconds", "Latency.", MetricType::histogram, {"model"}, kBounds);
  req.counter({"llama3:8b", "200"}).inc(3);
  req.counter({"llama3:8b", "503"}).inc();
  up.gauge({}).set(1);
  auto& h = lat.histogram({"llama3:8b"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(7);

  EXPECT_EQ(prometheus_text(r),
            "# HELP demo_requests_total Requests by model.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{model=\"llama3:8b\",status=\"200\"} 3\n"
            "demo_requests_total{model=\"llama3:8b\",status=\"503\"} 1\n"
            "# HELP demo_up Whether it is up.\n"
            "# TYPE demo_up gauge\n"
            "demo_up 1\n"
            "# HELP demo_latency_seconds Latency.\n"
            "# TYPE demo_latency_seconds histogram\n"
            "demo_latency_seconds_bucket{model=\"llama3:8b\",le=\"0.1\"} 1\n"
            "demo_latency_seconds_bucket{model=\"llama3:8b\",le=\"1\"} 3\n"
            "demo_latency_seconds_bucket{model=\"llama3:8b\",le=\"2.5\"} 3\n"
            "demo_latency_seconds_bucket{model=\"llama3:8b\",le=\"+Inf\"} 4\n"
            "demo_latency_seconds_sum{model=\"llama3:8b\"} 8.05\n"
            "demo_latency_seconds_count{model=\"llama3:8b\"} 4\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_label_value("plain:tag-1.0"), "plain:tag-1.0");
  EXPECT_EQ(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");

  Registry r;
  r.add("demo_total", "Help with \\ and\nnewline.", MetricType::counter, {"model"}).counter({"ev\"il\\\nname"}).inc();
  EXPECT_EQ(prometheus_text(r),
            "# HELP demo_total Help with \\\\ and\\nnewline.\n"
            "# TYPE demo_total counter\n"
            "demo_total{model=\"ev\\\"il\\\\\\nname\"} 1\n");
}

TEST(PrometheusText, FormatsSpecialValues) {
  EXPECT_EQ(format_value(1.0), "1");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(24e9), "24000000000");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusText, HiddenAndZeroHiddenSeriesAreLeftOut) {
  Registry r;
  auto& f = r.add("demo_total", "h", MetricType::counter, {"k"});
  f.counter({"a"}, true);
  f.counter({"b"}).inc();
  f.set_visible({"b"}, false);
  EXPECT_EQ(prometheus_text(r), "# HELP demo_total h\n# TYPE demo_total counter\n");
  f.counter({"a"}, true).inc();
  f.set_visible({"b"}, true);
  EXPECT_EQ(prometheus_text(r), "# HELP demo_total h\n# TYPE demo_total counter\ndemo_total{k=\"a\"} 1\ndemo_total{k=\"b\"} 1\n");
}

TEST(Registry, RejectsMisuse) {
  Registry r;
  auto& f = r.add("demo_total", "h", MetricType::counter, {"k"});
  EXPECT_THROW(r.add("demo_total", "h", MetricType::counter, {}), std::logic_error);
  EXPECT_THROW(r.add("bad name", "h", MetricType::gauge, {}), std::logic_error);
  EXPECT_THROW(r.add("demo_h", "h", MetricType::histogram, {"le"}, kBounds), std::logic_error);
  EXPECT_THROW(r.add("demo_h2", "h", MetricType::histogram, {}), std::logic_error);
  EXPECT_THROW(f.gauge({"x"}), std::logic_error);
  EXPECT_THROW(f.counter({"x", "y"}), std::logic_error);
  EXPECT_EQ(&f.counter({"x"}), &f.counter({"x"}));
}

TEST(Histogram, BucketsAreUpperInclusiveAndNegativeClampsToZero) {
  Histogram h(kBounds);
  h.observe(0.1);   // exactly on a bound: in that bucket (le means <=)
  h.observe(-3);    // clamped to 0
  h.observe(2.5000001);
  const auto s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), 4u);
  EXPECT_EQ(s.cumulative[0], 2u);
  EXPECT_EQ(s.cumulative[1], 2u);
  EXPECT_EQ(s.cumulative[2], 2u);
  EXPECT_EQ(s.cumulative[3], 3u);
  EXPECT_EQ(s.count, 3u);
  EXPECT_NEAR(s.sum, 2.6000001, 1e-6);
}

}  // namespace
}  // namespace corral::metrics
