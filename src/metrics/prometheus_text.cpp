#include "metrics/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace corral::metrics {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Integral values (byte counts, queue depths) read better as integers than as 2.4e+10.
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

namespace {

// `{a="x",b="y"}` including an optional extra pair (the histogram's le); empty when no labels.
void append_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

}  // namespace

void append_prometheus_text(std::string& out, const Family& f) {
  out += "# HELP ";
  out += f.name();
  out += ' ';
  out += escape_help(f.help());
  out += "\n# TYPE ";
  out += f.name();
  out += ' ';
  out += type_name(f.type());
  out += '\n';
  f.for_each_series([&](const Family::SeriesView& s) {
    if (s.counter) {
      out += f.name();
      append_labels(out, f.label_names(), s.label_values);
      out += ' ';
      out += std::to_string(s.counter->value());
      out += '\n';
    } else if (s.gauge) {
      out += f.name();
      append_labels(out, f.label_names(), s.label_values);
      out += ' ';
      out += format_value(s.gauge->value());
      out += '\n';
    } else if (s.histogram) {
      const auto snap = s.histogram->snapshot();
      const auto bounds = s.histogram->bounds();
      for (std::size_t i = 0; i <= bounds.size(); ++i) {
        out += f.name();
        out += "_bucket";
        append_labels(out, f.label_names(), s.label_values, "le",
                      i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf"));
        out += ' ';
        out += std::to_string(snap.cumulative[i]);
        out += '\n';
      }
      out += f.name();
      out += "_sum";
      append_labels(out, f.label_names(), s.label_values);
      out += ' ';
      out += format_value(snap.sum);
      out += '\n';
      out += f.name();
      out += "_count";
      append_labels(out, f.label_names(), s.label_values);
      out += ' ';
      out += std::to_string(snap.count);
      out += '\n';
    }
  });
}

std::string prometheus_text(const Registry& registry) {
  std::string out;
  out.reserve(16 * 1024);
  for (const Family* f : registry.families()) append_prometheus_text(out, *f);
  return out;
}

}  // namespace corral::metrics
