// An event-rate estimator with exponential decay: each grant adds 1/tau to a rate that decays as
// exp(-dt/tau). Under a steady stream of r grants/s it converges to r; when grants stop it decays to 0
// (so Retry-After grows while a queue is stuck, instead of quoting a stale fast rate).
// A young estimator has not converged: after T seconds of history a steady rate r reads as
// r(1 - exp(-T/tau)), so one grant on a cold gateway read as 0.1/s and quoted a 21 s Retry-After for a
// queue that drained in one. per_second() divides that bias out, counting at least one second of history
// so a first grant an instant ago does not read as a huge rate.
#include "admission/drain_rate.hpp"

#include <algorithm>
#include <cmath>

namespace corral::admission {
namespace {

constexpr double kTauSeconds = std::chrono::duration<double>(DrainRate::kTau).count();

double decay(double rate, DrainRate::Clock::time_point from, DrainRate::Clock::time_point to) {
  const double dt = std::chrono::duration<double>(to - from).count();
  if (dt <= 0) return rate;
  return rate * std::exp(-dt / kTauSeconds);
}

}  // namespace

void DrainRate::record(Clock::time_point now) {
  if (!any_) first_ = now;
  rate_ = (any_ ? decay(rate_, last_, now) : 0.0) + 1.0 / kTauSeconds;
  if (!any_ || now > last_) last_ = now;
  any_ = true;
}

double DrainRate::per_second(Clock::time_point now) const {
  if (!any_) return 0.0;
  const double history = std::max(1.0, std::chrono::duration<double>(now - first_).count());
  return decay(rate_, last_, now) / (1.0 - std::exp(-history / kTauSeconds));
}

std::uint32_t DrainRate::retry_after_seconds(Clock::time_point now, std::size_t depth, std::uint32_t fallback_seconds,
                                             std::uint32_t max_seconds) const {
  max_seconds = std::max<std::uint32_t>(max_seconds, 1);
  const double rate = per_second(now);
  if (rate <= 1e-9) return std::clamp<std::uint32_t>(fallback_seconds, 1, max_seconds);
  const double seconds = std::ceil(static_cast<double>(depth + 1) / rate);
  if (seconds >= static_cast<double>(max_seconds)) return max_seconds;
  return std::max<std::uint32_t>(1, static_cast<std::uint32_t>(seconds));
}

}  // namespace corral::admission
