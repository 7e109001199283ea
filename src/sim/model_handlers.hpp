// The simulator's non-inference Ollama endpoints: /api/version, /api/tags, /api/ps, /api/show,
// /api/pull, /api/delete, /api/copy, /api/create, /v1/models and /v1/models/{model}. Listings follow
// Ollama's field order, sort order and empty forms; model-management answers follow its status codes
// and texts (ollama-api.md sections 1.4-1.8 and 2).
#pragma once

#include <string_view>

#include "common/asio.hpp"
#include "sim/connection.hpp"
#include "sim/sim_context.hpp"

namespace corral::sim {

/// The version /api/version reports.
inline constexpr std::string_view kOllamaVersion = "0.12.6";

/// Waits out the health_delay fault, if any, before a health answer (/, /api/version, /api/tags,
/// /api/ps), counting it in /sim/stats (health_delayed, and health_delaying while it waits).
net::awaitable<void> delay_health_answer(SimContext& ctx);

net::awaitable<void> handle_version(SimContext& ctx, Connection& c);
net::awaitable<void> handle_tags(SimContext& ctx, Connection& c);
net::awaitable<void> handle_ps(SimContext& ctx, Connection& c);
net::awaitable<void> handle_show(SimContext& ctx, Connection& c, std::string_view body);
net::awaitable<void> handle_pull(SimContext& ctx, Connection& c, std::string_view body);
net::awaitable<void> handle_delete(SimContext& ctx, Connection& c, std::string_view body);
net::awaitable<void> handle_copy(SimContext& ctx, Connection& c, std::string_view body);
net::awaitable<void> handle_create(SimContext& ctx, Connection& c, std::string_view body);
net::awaitable<void> handle_v1_models(SimContext& ctx, Connection& c);
net::awaitable<void> handle_v1_model(SimContext& ctx, Connection& c, std::string_view model);

}  // namespace corral::sim
