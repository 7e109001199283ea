// Why admission refused a request; all become 503 with Retry-After except kCancelled (client gone).
#pragma once

#include <string_view>

namespace corral::admission {

enum class AdmitError {
  kQueueFull,     ///< the pool's queue holds max_length waiters already (refused at once)
  kQueueTimeout,  ///< waited queue.timeout without a slot
  kCancelled,     ///< the awaiting coroutine was cancelled (client disconnected, drain)
  kNoBackend,     ///< no eligible backend at all (none healthy / none can serve the model)
};

/// Stable lower-case name ("queue_full"...), for logs and metric labels.
[[nodiscard]] std::string_view to_string(AdmitError error);

}  // namespace corral::admission
