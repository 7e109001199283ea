// Registry: the metric families of one process and their series (one label-value tuple each).
//
// Series are created on the control path (startup, config load, the first sighting of a model)
// and handed out as plain references to their Counter / Gauge / Histogram, which stay valid for
// the registry's lifetime. Recording goes through those references only, so it never hashes a
// label or takes a lock; the family mutex guards the series list for creation and scraping.
// What this does not do: name validation beyond the basics, or removal of series (a retired
// label set is hidden instead, so handles held by in-flight requests stay valid).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/counter.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"

namespace corral::metrics {

enum class MetricType { counter, gauge, histogram };

std::string_view type_name(MetricType t) noexcept;

class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::span<const double> bounds = {});

  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  /// The series for `label_values` (one per label name), created on first call. Throws
  /// std::logic_error on a type or arity mismatch: those are programming errors.
  /// A counter made with `hide_when_zero` is left out of the exposition until it counts
  /// something (e.g. one series per possible status, most never used).
  Counter& counter(const std::vector<std::string>& label_values, bool hide_when_zero = false);
  Gauge& gauge(const std::vector<std::string>& label_values);
  Histogram& histogram(const std::vector<std::string>& label_values);

  /// Hides or shows a series in the exposition (e.g. a backend removed by a reload). No-op
  /// when the series does not exist.
  void set_visible(const std::vector<std::string>& label_values, bool visible);

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  MetricType type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  std::span<const double> bounds() const noexcept { return bounds_; }

  /// One visible series as the renderer sees it.
  struct SeriesView {
    const std::vector<std::string>& label_values;
    const Counter* counter;
    const Gauge* gauge;
    const Histogram* histogram;
  };
  /// Calls `fn(const SeriesView&)` for each visible series in creation order, under the
  /// family mutex (scrape path only).
  template <class Fn>
  void for_each_series(Fn&& fn) const {
    std::lock_guard lock(mutex_);
    for (const auto& s : series_) {
      if (!s.visible) continue;
      if (s.hide_when_zero && s.counter && s.counter->value() == 0) continue;
      fn(SeriesView{s.label_values, s.counter.get(), s.gauge.get(), s.histogram.get()});
    }
  }

 private:
  struct Series {
    std::vector<std::string> label_values;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    bool hide_when_zero = false;
    bool visible = true;
  };
  Series& find_or_add(const std::vector<std::string>& label_values, MetricType wanted);

  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
  std::span<const double> bounds_;
  mutable std::mutex mutex_;
  std::deque<Series> series_;  // deque: references stay valid as it grows
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Adds a family; throws std::logic_error if the name is taken or invalid.
  Family& add(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
              std::span<const double> bounds = {});

  /// Families in registration order (scrape path).
  std::vector<const Family*> families() const;

 private:
  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<Family>> families_;
};

}  // namespace corral::metrics
