// Fleet-wide answers: /api/tags, /api/ps and /v1/models merged from every healthy backend, queried in
// parallel (Asio's ranged parallel group) on the worker's own connection pool. Merged lists keep
// Ollama's field names, sort orders (newest modified_at, latest expires_at, newest created first) and
// empty forms (`{"models":[]}`, `/v1/models` with `"data":null`); a model on several backends appears
// once (its newest entry). Backends that fail or time out are left out of the merge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"
#include "gateway/client_request.hpp"
#include "gateway/request_context.hpp"
#include "upstream/backend.hpp"

namespace corral::fleet_ops {

/// Answers an aggregate route (RouteKind::kAggregate).
net::awaitable<gateway::Completion> aggregate(gateway::ProxyContext& ctx, gateway::ClientRequest& req);

/// `{"models":[...]}` from several /api/tags answers: by modified_at, newest first; one entry per name.
[[nodiscard]] std::string merge_tags(const std::vector<std::string>& bodies);
/// `{"models":[...]}` from several /api/ps answers: by expires_at, latest first; one entry per name.
[[nodiscard]] std::string merge_ps(const std::vector<std::string>& bodies);
/// `{"object":"list","data":[...]}` from several /v1/models answers: by created, newest first; one
/// entry per id; `"data":null` when empty (as Ollama).
[[nodiscard]] std::string merge_openai_models(const std::vector<std::string>& bodies);

/// An instant as seconds and nanoseconds since the epoch (int64 nanoseconds alone overflow at 2262, and
/// Ollama's "forever" expires_at lies about 292 years ahead).
struct Instant {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  auto operator<=>(const Instant&) const = default;
};

/// An RFC 3339 time (`2024-05-01T10:00:00.123-07:00`, `...Z`) as an Instant; nullopt when malformed.
[[nodiscard]] std::optional<Instant> parse_rfc3339(std::string_view text);

}  // namespace corral::fleet_ops
