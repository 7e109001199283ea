// The simulator's inference endpoints (/api/generate, /api/chat, /api/embed, /api/embeddings and the
// /v1 chat, completions and embeddings): decode, resolve the model, admit (slot, queue, load), then
// answer in time, streamed or whole. Requests that need no wait take a fast path with no timers and no
// disconnect watch (the benchmark mode); all others run beside the watch so a client that leaves frees
// its slot at once.
#pragma once

#include <string_view>

#include "common/asio.hpp"
#include "sim/connection.hpp"
#include "sim/request_body.hpp"
#include "sim/sim_context.hpp"

namespace corral::sim {

net::awaitable<void> handle_inference(SimContext& ctx, Connection& c, Api api, std::string_view body);

}  // namespace corral::sim
