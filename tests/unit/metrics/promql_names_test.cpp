// The PromQL name scanner finds metric names and nothing else.
#include <gtest/gtest.h>

#include "metrics/promql_names.hpp"

namespace corral::metrics {
namespace {

using V = std::vector<std::string>;

TEST(PromqlNames, FindsMetricsAndSkipsEverythingElse) {
  EXPECT_EQ(metric_names_in("ollama_worker_vram_used_bytes / ollama_worker_vram_total_bytes > 0.90"),
            (V{"ollama_worker_vram_used_bytes", "ollama_worker_vram_total_bytes"}));
  EXPECT_EQ(metric_names_in(R"(sum(rate(ollama_gateway_requests_total{status=~"5..", model!="x{y}"}[5m]))
                                / sum(rate(ollama_gateway_requests_total[$__rate_interval])) > 0.01)"),
            (V{"ollama_gateway_requests_total", "ollama_gateway_requests_total"}));
  EXPECT_EQ(metric_names_in("histogram_quantile(0.99, sum by (le, model) (rate(x_bucket[10m:1m] offset 1h)))"),
            (V{"x_bucket"}));
  EXPECT_EQ(metric_names_in("sum without (instance) (a) and on(pool) group_left(extra) b unless bool c"),
            (V{"a", "b", "c"}));
  EXPECT_EQ(metric_names_in("max(up) by (job) == 0 # trailing comment naming not_a_metric"), (V{"up"}));
  EXPECT_EQ(metric_names_in("${var} * 1e-3 + 0x1F + .5 + inf"), V{});
  EXPECT_EQ(metric_names_in("sum(<<.Series>>{<<.LabelMatchers>>})"), (V{"Series"}))
      << "adapter templates must be substituted before scanning";
}

}  // namespace
}  // namespace corral::metrics
