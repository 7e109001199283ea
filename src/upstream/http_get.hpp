// A small GET client for the control plane and fan-outs (health probes, /api/ps polling, merged
// /api/tags): one request on a pooled keep-alive connection (so probes do not open a connection each),
// the whole answer read into memory under one deadline. Not for the proxied data path.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

/// GETs `path` from every target at once on `pool` (the calling worker's); each answer's body in target
/// order, nullopt where the target failed, timed out or answered other than 200.
net::awaitable<std::vector<std::optional<std::string>>> fetch_from_all(
    ConnectionPool& pool, const std::vector<std::shared_ptr<const Backend>>& targets,
    std::string_view path, std::chrono::nanoseconds timeout);

}  // namespace corral::upstream
