// The routing key is the simulator's and the gateway's one parser of Ollama's name grammar
// (common::ModelName, types/model/name.go), in its short lower-case form, so the gateway and the
// simulator cannot disagree on which strings name the same model.
#include "routing/model_name.hpp"

#include <array>

#include "common/model_name.hpp"

namespace corral::routing {

std::optional<std::string> model_key(std::string_view name) {
  // Traffic names a handful of models, and parsing a name costs ~1.8k instructions (issue 8): each thread
  // remembers the last few names it resolved (replaced round robin). Valid names only.
  struct Memo {
    std::string name;
    std::string key;
  };
  thread_local std::array<Memo, 8> memo;
  thread_local std::size_t next = 0;
  for (const Memo& m : memo) {
    if (!m.key.empty() && m.name == name) return m.key;
  }
  std::string key;
  if (!common::append_short_key(key, name)) return std::nullopt;
  if (name.size() <= 256) {
    Memo& m = memo[next];
    next = (next + 1) % memo.size();
    m.name.assign(name);
    m.key = key;
  }
  return key;
}

std::string_view strip_tag(std::string_view key) {
  const auto colon = key.rfind(':');
  const auto slash = key.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) return key;
  return key.substr(0, colon);
}

}  // namespace corral::routing
