// "Ghost model" protection for /api/delete: a model that has requests running or waiting in its pool,
// a load under way, or is pinned, is not deleted (the client gets 409 with an Ollama-style error);
// otherwise the delete goes on to the backends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "upstream/backend_registry.hpp"

namespace corral::models {

/// Why deleting `model_key` from pool `pool` must be refused now, or nullopt when it may go ahead.
[[nodiscard]] std::optional<std::string> delete_refusal(const upstream::Snapshot& snap, std::size_t pool,
                                                        std::string_view model_key);

}  // namespace corral::models
