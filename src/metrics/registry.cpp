#include "metrics/registry.hpp"

#include <stdexcept>

namespace corral::metrics {

namespace {

bool valid_name(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

std::string_view type_name(MetricType t) noexcept {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

Family::Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
               std::span<const double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(bounds) {
  if (!valid_name(name_, true)) throw std::logic_error("invalid metric name: " + name_);
  for (const auto& l : label_names_) {
    // "le" is reserved for histogram buckets; "__" names are Prometheus-internal.
    if (!valid_name(l, false) || l == "le" || l.rfind("__", 0) == 0) {
      throw std::logic_error("invalid label name '" + l + "' on " + name_);
    }
  }
  if (type_ == MetricType::histogram && bounds_.empty()) throw std::logic_error(name_ + ": histogram without buckets");
}

Family::Series& Family::find_or_add(const std::vector<std::string>& label_values, MetricType wanted) {
  if (wanted != type_) throw std::logic_error(name_ + ": asked for a " + std::string(type_name(wanted)));
  if (label_values.size() != label_names_.size()) throw std::logic_error(name_ + ": wrong number of label values");
  for (auto& s : series_) {
    if (s.label_values == label_values) return s;
  }
  auto& s = series_.emplace_back();
  s.label_values = label_values;
  switch (type_) {
    case MetricType::counter: s.counter = std::make_unique<Counter>(); break;
    case MetricType::gauge: s.gauge = std::make_unique<Gauge>(); break;
    case MetricType::histogram: s.histogram = std::make_unique<Histogram>(bounds_); break;
  }
  return s;
}

Counter& Family::counter(const std::vector<std::string>& label_values, bool hide_when_zero) {
  std::lock_guard lock(mutex_);
  auto& s = find_or_add(label_values, MetricType::counter);
  s.hide_when_zero = hide_when_zero;
  return *s.counter;
}

Gauge& Family::gauge(const std::vector<std::string>& label_values) {
  std::lock_guard lock(mutex_);
  return *find_or_add(label_values, MetricType::gauge).gauge;
}

Histogram& Family::histogram(const std::vector<std::string>& label_values) {
  std::lock_guard lock(mutex_);
  return *find_or_add(label_values, MetricType::histogram).histogram;
}

void Family::set_visible(const std::vector<std::string>& label_values, bool visible) {
  std::lock_guard lock(mutex_);
  for (auto& s : series_) {
    if (s.label_values == label_values) s.visible = visible;
  }
}

Family& Registry::add(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
                      std::span<const double> bounds) {
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    if (f->name() == name) throw std::logic_error("metric registered twice: " + name);
  }
  families_.push_back(
      std::make_unique<Family>(std::move(name), std::move(help), type, std::move(label_names), bounds));
  return *families_.back();
}

std::vector<const Family*> Registry::families() const {
  std::lock_guard lock(mutex_);
  std::vector<const Family*> out;
  out.reserve(families_.size());
  for (const auto& f : families_) out.push_back(f.get());
  return out;
}

}  // namespace corral::metrics
