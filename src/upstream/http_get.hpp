// A small GET client for the control plane and fan-outs (health probes, /api/ps polling, merged
// /api/tags): one request on a pooled keep-alive connection (so probes do not open a connection each),
// the whole answer read into memory under one deadline. Not for the proxied data path.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "upstream/connection_pool.hpp"

namespace corral::upstream {

class Backend;

struct GetResult {
  int status = 0;
  std::string body;
};

/// GET `target` (origin form; the backend's path prefix is prepended) from `backend`, reusing and
/// returning connections through `pool` (which must belong to the calling thread). Nullopt on any
/// connection, timeout or parse failure. Bodies above 16 MiB fail.
net::awaitable<std::optional<GetResult>> http_get(ConnectionPool& pool, std::shared_ptr<const Backend> backend,
                                                  std::string target, std::chrono::nanoseconds timeout);

}  // namespace corral::upstream
