// What the data path knows about a finished request (style.md section 4, step 9 "account"). Filled by
// the proxy handler along the request and handed once to account() (accounting.hpp), which feeds the
// metrics, the access log and the status page's recent errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
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
  bool queued = false;                    ///< went through the pool's admission queue
  bool truncated = false;                 ///< the response was cut (upstream failure mid-body)
  bool was_warm = false;                  ///< the backend's catalog had the model warm when picked
  std::optional<ErrorKind> error;         ///< set when the gateway made the answer (or cut it)
  std::uint64_t bytes_in = 0;             ///< request body bytes
  std::uint64_t bytes_out = 0;            ///< response body bytes relayed
  std::chrono::nanoseconds duration{0};
  std::optional<std::chrono::nanoseconds> queue_wait;  ///< admission (queue included) took this long
  std::optional<std::chrono::nanoseconds> ttfb;        ///< first response body byte written
  std::uint64_t prompt_tokens = 0;        ///< from the final object / usage
  std::uint64_t completion_tokens = 0;
  std::optional<std::chrono::nanoseconds> eval_duration;
  std::optional<std::chrono::nanoseconds> load_duration;
};

}  // namespace corral::proxy
