// MetricDef: the static description of one exported metric (name, type, labels, help, which
// process exports it). The list itself lives in corral_metrics.cpp and nowhere else.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/registry.hpp"

namespace corral::metrics {

enum class Exporter { gateway, agent };

struct MetricDef {
  std::string_view name;
  MetricType type;
  Exporter exporter;
  std::string_view labels;  // comma-separated label names, "" for none
  std::string_view help;
  std::span<const double> buckets = {};  // histograms only

  std::vector<std::string> label_names() const;
};

/// Every metric Corral exports, gateway and agent, in exposition order.
std::span<const MetricDef> all_metric_defs();
/// The definition of `name`, or nullptr.
const MetricDef* find_metric_def(std::string_view name);
/// True for a name that can appear in PromQL against Corral's targets: a metric name, or a
/// histogram's name plus _bucket, _sum or _count.
bool is_exported_series_name(std::string_view name);
/// Adds `def` to `registry` (a family with its name, help, type, labels and buckets).
Family& add_family(Registry& registry, const MetricDef& def);
/// Adds the family named `name`; throws std::logic_error if it is not in the list.
Family& add_family(Registry& registry, std::string_view name);

}  // namespace corral::metrics
