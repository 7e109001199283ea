// metric_names_in: the metric names a PromQL expression reads, found with a small tokenizer
// (not a parser). Used by tests to prove that every alert, dashboard panel and autoscaling
// query names only metrics Corral exports (corral_metrics.cpp).
// Skipped: strings, label matchers {...}, ranges [...], numbers and durations, Grafana
// variables ($__rate_interval, ${x}), function and aggregation names (an identifier followed by
// "("), keywords, and the label lists of by/without/on/ignoring/group_left/group_right.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace corral::metrics {

std::vector<std::string> metric_names_in(std::string_view promql);

}  // namespace corral::metrics
