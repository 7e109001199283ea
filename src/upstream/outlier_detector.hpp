// Passive outlier detection (Envoy's consecutive gateway failures): the data path reports each
// exchange's outcome; `consecutive_failures` failures in a row eject the backend for
// base_ejection x (number of ejections), capped at max_ejection, unless the pool already has
// max_ejection_percent of its backends ejected. The multiplier decays by one for every base_ejection the
// backend then stays un-ejected. Time is passed in (tests move it); thread-safe (a small mutex per
// backend; reports come from every worker thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "config/config.hpp"

namespace corral::upstream {

using OutlierClock = std::chrono::steady_clock;

/// What one exchange with the backend came to.
enum class Outcome {
  kSuccess,         ///< a response head other than 5xx (4xx are the client's business): resets the count
  kConnectFailure,  ///< refused, reset, unreachable, TLS failure
  kTimeout,         ///< connect or first-byte timeout
  kServerError,     ///< 5xx from the backend (502/503/504 and 500), except Ollama's "server busy" 503
  kBusy,            ///< Ollama's 503 queue-full answer: overload, not a fault; neutral
  kCancelled,       ///< the client left first: says nothing about the backend; neutral
};

/// The pool-wide part: how many of its backends are ejected now, against max_ejection_percent.
/// Shared (shared_ptr) by the pool's detectors; thread-safe.
class EjectionBudget final {
 public:
  EjectionBudget(std::size_t pool_size, std::uint32_t max_ejection_percent);
  /// Counts one more ejected backend if that keeps ejected x 100 <= percent x pool_size.
  [[nodiscard]] bool try_eject();
  /// One ejected backend came back.
  void release();
  [[nodiscard]] std::size_t ejected() const;

 private:
  mutable std::mutex mu_;
  std::size_t pool_size_;
  std::uint32_t percent_;
  std::size_t ejected_ = 0;
};

enum class ReportResult {
  kNone,              ///< nothing changed state
  kEjected,           ///< this report ejected the backend
  kEjectionSkipped,   ///< the threshold was reached but the pool's ejection budget is spent
};

/// One backend's detector.
class OutlierDetector final {
 public:
  /// `budget` may be null (no pool cap). consecutive_failures 0 disables ejection.
  OutlierDetector(const config::OutlierConfig& config, std::shared_ptr<EjectionBudget> budget);
  ~OutlierDetector();
  OutlierDetector(const OutlierDetector&) = delete;
  OutlierDetector& operator=(const OutlierDetector&) = delete;

  /// Records one outcome at `now`. Reports while ejected still count (a retry may have been in flight).
  ReportResult report(Outcome outcome, OutlierClock::time_point now);
  /// True while an ejection lasts; an ejection that has ended is released here (budget returned).
  [[nodiscard]] bool is_ejected(OutlierClock::time_point now);
  /// End of the current ejection (meaningful while is_ejected).
  [[nodiscard]] OutlierClock::time_point ejected_until() const;
  /// Ejections so far (also the current backoff multiplier before decay).
  [[nodiscard]] std::uint32_t ejections() const;
  /// Failures in a row now.
  [[nodiscard]] std::uint32_t consecutive_failures() const;

 private:
  void end_ejection_locked(OutlierClock::time_point now);

  mutable std::mutex mu_;
  config::OutlierConfig config_;
  std::shared_ptr<EjectionBudget> budget_;
  std::uint32_t failures_ = 0;
  std::uint32_t multiplier_ = 0;
  std::uint32_t ejections_ = 0;
  bool ejected_ = false;
  OutlierClock::time_point until_{};
  OutlierClock::time_point last_unejected_{};
};

}  // namespace corral::upstream
