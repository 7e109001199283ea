// The routing key is the simulator's and the gateway's one parser of Ollama's name grammar
// (common::ModelName, types/model/name.go), in its short lower-case form, so the gateway and the
// simulator cannot disagree on which strings name the same model.
#include "routing/model_name.hpp"

#include "common/model_name.hpp"

namespace corral::routing {

std::optional<std::string> model_key(std::string_view name) {
  std::string key;
  if (!common::append_short_key(key, name)) return std::nullopt;
  return key;
}

std::string_view strip_tag(std::string_view key) {
  const auto colon = key.rfind(':');
  const auto slash = key.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) return key;
  return key.substr(0, colon);
}

}  // namespace corral::routing
