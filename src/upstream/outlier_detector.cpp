// Ejection length = base_ejection x multiplier, capped at max_ejection, where the multiplier counts
// recent ejections: +1 per ejection, -1 per base_ejection spent un-ejected since the last one ended
// (Envoy's decay), so a backend that failed once long ago starts again from base_ejection.
#include "upstream/outlier_detector.hpp"

#include <algorithm>

namespace corral::upstream {

EjectionBudget::EjectionBudget(std::size_t pool_size, std::uint32_t max_ejection_percent)
    : pool_size_(pool_size), percent_(std::min<std::uint32_t>(max_ejection_percent, 100)) {}

bool EjectionBudget::try_eject() {
  std::lock_guard lock(mu_);
  if ((ejected_ + 1) * 100 > std::size_t{percent_} * pool_size_) return false;
  ++ejected_;
  return true;
}

void EjectionBudget::release() {
  std::lock_guard lock(mu_);
  if (ejected_ > 0) --ejected_;
}

std::size_t EjectionBudget::ejected() const {
  std::lock_guard lock(mu_);
  return ejected_;
}

OutlierDetector::OutlierDetector(const config::OutlierConfig& config, std::shared_ptr<EjectionBudget> budget)
    : config_(config), budget_(std::move(budget)) {}

OutlierDetector::~OutlierDetector() {
  if (ejected_ && budget_) budget_->release();
}

ReportResult OutlierDetector::report(Outcome outcome, OutlierClock::time_point now) {
  std::lock_guard lock(mu_);
  if (ejected_ && now >= until_) end_ejection_locked(now);
  switch (outcome) {
    case Outcome::kSuccess:
      failures_ = 0;
      return ReportResult::kNone;
    case Outcome::kBusy:
    case Outcome::kCancelled:
      return ReportResult::kNone;
    case Outcome::kConnectFailure:
    case Outcome::kTimeout:
    case Outcome::kServerError:
      break;
  }
  ++failures_;
  if (config_.consecutive_failures == 0 || ejected_ || failures_ < config_.consecutive_failures) {
    return ReportResult::kNone;
  }
  if (budget_ && !budget_->try_eject()) return ReportResult::kEjectionSkipped;

  if (ejections_ > 0 && config_.base_ejection.count() > 0) {
    const auto calm = (now - last_unejected_) / config_.base_ejection;
    multiplier_ -= static_cast<std::uint32_t>(std::min<std::int64_t>(calm, multiplier_));
  }
  ++multiplier_;
  ++ejections_;
  const auto length = std::min<config::Duration>(config_.base_ejection * multiplier_, config_.max_ejection);
  ejected_ = true;
  until_ = now + length;
  failures_ = 0;
  return ReportResult::kEjected;
}

bool OutlierDetector::is_ejected(OutlierClock::time_point now) {
  std::lock_guard lock(mu_);
  if (ejected_ && now >= until_) end_ejection_locked(now);
  return ejected_;
}

void OutlierDetector::end_ejection_locked(OutlierClock::time_point now) {
  ejected_ = false;
  last_unejected_ = std::min(now, until_);
  if (budget_) budget_->release();
}

OutlierClock::time_point OutlierDetector::ejected_until() const {
  std::lock_guard lock(mu_);
  return until_;
}

std::uint32_t OutlierDetector::ejections() const {
  std::lock_guard lock(mu_);
  return ejections_;
}

std::uint32_t OutlierDetector::consecutive_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace corral::upstream
