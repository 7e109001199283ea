// The routing key of a model: Ollama's name normalisation (ollama-api.md section 3) turned into one
// lower-case string in Ollama's short display form (`llama3:latest`, `user/m:tag`, `hf.co/org/repo:tag`),
// so `llama3`, `Llama3:latest` and `registry.ollama.ai/library/llama3:latest` route alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace corral::routing {

/// The routing key of `name`, or nullopt when Ollama would refuse the name ("invalid model name").
/// An empty name is nullopt too; callers tell "missing" from "invalid" themselves.
[[nodiscard]] std::optional<std::string> model_key(std::string_view name);

/// The part of a key before its tag (`llama3:70b` -> `llama3`, `localhost:5000/m:t` -> `localhost:5000/m`).
[[nodiscard]] std::string_view strip_tag(std::string_view key);

}  // namespace corral::routing
