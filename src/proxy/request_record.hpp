// What the data path knows about a finished request (style.md section 4, step 9 "account"). Filled by
// the proxy handler at the end of every request and handed to account(); the access log and metrics of
// issue 6 hook in there. Nothing is logged per request today.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "routing/router.hpp"

namespace corral::proxy {

struct RequestRecord {
  SteadyClock::time_point started{};      ///< request head complete
  routing::Endpoint endpoint = routing::Endpoint::kNone;
  std::string model_key;                  ///< normalised model, empty when none
  std::int32_t pool = -1;                 ///< pool index in the snapshot, -1 when none
  std::int32_t backend = -1;              ///< member index of the last backend tried, -1 when none
  int status = 0;                         ///< status sent; 499 when the client left first
  std::uint32_t retries = 0;              ///< attempts beyond the first
  bool queued = false;                    ///< waited in the pool queue
  bool truncated = false;                 ///< the response was cut (upstream failure mid-body)
  std::uint64_t bytes_in = 0;             ///< request body bytes
  std::uint64_t bytes_out = 0;            ///< response body bytes relayed
  std::chrono::nanoseconds duration{0};
};

/// The end of every request. Cheap and non-blocking (issue 6 plugs metrics and the access log in here).
inline void account(const RequestRecord&) {}

}  // namespace corral::proxy
