// The one rule that decides whether a failed attempt goes to another backend (docs/gateway.md, "Failures
// and retries"). Every failure the proxy sees before the relay (a connect failure, a close before the
// response head, a first-byte timeout, a backend's own 503 or 502 answer) is an ErrorKind, and the error
// table (common/error.cpp) says whether that kind may be retried at all; this type adds what depends on
// the request: its route (management calls are never replayed: a pull, create or delete is not
// idempotent), how many retries it had (`retries`), and the fleet-wide retry budget. It does not check
// "before the first byte": the proxy asks it only before anything was relayed.
#pragma once

#include <cstdint>

#include "admission/retry_budget.hpp"
#include "common/error.hpp"

namespace corral::proxy {

struct RetryPolicy {
  bool route_retryable = false;   ///< the route may be replayed on another backend
  std::uint32_t max_retries = 0;  ///< config `retries`: attempts beyond the first

  /// Whether the attempt that failed with `kind`, after `retries_so_far` retries of this request, may be
  /// retried at `now`. Asks `budget` last and only then spends one of its retries, so a failure that may
  /// not be retried anyway costs the fleet nothing. Any thread; no lock (the budget is lock-free).
  [[nodiscard]] bool allows(ErrorKind kind, std::uint32_t retries_so_far, admission::RetryBudget& budget,
                            admission::RetryBudget::Clock::time_point now) const {
    return route_retryable && error_info(kind).retryable && retries_so_far < max_retries &&
           budget.try_retry(now);
  }
};

}  // namespace corral::proxy
