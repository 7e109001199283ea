// Auto-pull (`models[].auto_pull`, docs/models.md "Auto-pull"): an inference request for a model that no
// eligible backend of its pool has on disk is not sent on to Ollama's 404; the model is pulled first to
// one backend (most free VRAM, then fewest requests running), through that backend's pull slot like a
// pull sent through the gateway, and the request then goes on to the normal pick (which finds the model
// there and cold-loads it). Single flight: one pull per (pool, model) at a time, process-wide; every
// request that finds it under way waits for its end. The pull itself runs detached from any one client,
// so a client that leaves stops only its own wait. Does not pick the request's backend, nor retry a pull.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "placement/backend_pick.hpp"
#include "routing/router.hpp"

namespace corral::fleet_ops {

/// Whether the request must wait for an auto-pull: an inference route, a model whose first matching
/// `models[]` rule says `auto_pull: true`, and no eligible backend of the pool (only the one
/// X-Corral-Backend names, when set) whose inventory may have the model. Any thread; no lock.
[[nodiscard]] bool needs_auto_pull(const routing::Route& route, const placement::PickInput& in);

/// Makes sure a backend of `in`'s pool has the model on disk: joins the pull under way for it or starts
/// one, and waits for its end (a client that leaves cancels this wait only). `model_name` is the name the
/// client sent (Ollama is sent that). Returns the client's error, `auto-pull of NAME on BACKEND failed:
/// WHY`, or nullopt when the request may go on: the model is on a backend now, or no backend could take
/// the pull (the normal pick then answers, e.g. 503 for no eligible backend).
net::awaitable<std::optional<std::string>> auto_pull(std::shared_ptr<const placement::PickInput> in, std::string model_name);

}  // namespace corral::fleet_ops
