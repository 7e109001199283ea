// Prometheus text exposition format 0.0.4: HELP and TYPE lines, escaped label values, and real
// histograms (cumulative _bucket{le} series ending in +Inf, then _sum and _count).
// Rendering reads the atomics of each series; it never blocks a recording thread.
#pragma once

#include <string>
#include <string_view>

#include "metrics/registry.hpp"

namespace corral::metrics {

/// The Content-Type a /metrics response must carry.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string prometheus_text(const Registry& registry);
void append_prometheus_text(std::string& out, const Family& family);

/// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
/// Shortest text that reads back as the same double; NaN, +Inf, -Inf as Prometheus spells them.
std::string format_value(double v);

}  // namespace corral::metrics
