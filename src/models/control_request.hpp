// The gateway's own calls to a backend (load a model, unload it): one POST with a small JSON body on a
// fresh connection, the answer read whole and dropped. A load can take minutes, so these never borrow a
// pooled keep-alive connection the data path or the poller would wait for. Control thread only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/asio.hpp"

namespace corral::upstream {
class Backend;
}

namespace corral::models {

/// A backend's answer to one control call.
struct ControlAnswer {
  int status = 0;    ///< HTTP status; 0 on any connection, timeout or parse failure
  std::string body;  ///< the answer's body (up to 1 MiB)
};

/// POSTs `body` (JSON) to `target` on `backend` and reads the whole answer.
net::awaitable<ControlAnswer> post_json(std::shared_ptr<const upstream::Backend> backend, std::string target,
                                        std::string body, std::chrono::nanoseconds timeout);

/// `{"model":NAME,"keep_alive":SECONDS}`: Ollama's load (SECONDS != 0) and unload (0) request for /api/generate.
[[nodiscard]] std::string keep_alive_body(std::string_view model, double keep_alive_seconds);

}  // namespace corral::models
