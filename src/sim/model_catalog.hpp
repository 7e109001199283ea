// The models the simulator has "on disk": what /api/tags lists and what inference may load. Keys are
// common::ModelName short keys (case-folded), so `llama3`, `LLAMA3:latest` and
// `registry.ollama.ai/library/llama3` find the same entry. It also invents the metadata Ollama would
// read from a manifest (digest, family, parameter size, quantisation). Not thread-safe: SimState locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::sim {

struct CatalogModel {
  std::string key;       ///< short key, lower case
  std::string display;   ///< short form with the casing first given ("llama3:8b")
  std::uint64_t size = 0;
  std::string digest;    ///< 64 hex digits, no "sha256:" prefix (as /api/tags shows it)
  std::chrono::system_clock::time_point modified_at;
  std::string family;          ///< "llama", "qwen2", "nomic-bert"...
  std::string parameter_size;  ///< "8B", "494M"...
  bool embedding = false;      ///< an embedding-only model: no generate/chat, parallel 1
};

class ModelCatalog final {
 public:
  /// Adds or replaces a model. `display_name` is any valid Ollama name; false when it is invalid.
  bool add(std::string_view display_name, std::uint64_t size,
           std::chrono::system_clock::time_point modified_at = std::chrono::system_clock::now());

  [[nodiscard]] const CatalogModel* find(std::string_view key) const;
  bool remove(std::string_view key);

  /// Newest first, as /api/tags sorts.
  [[nodiscard]] std::vector<const CatalogModel*> list() const;

  /// A plausible size for a pulled model from its tag ("8b" -> 4.9 GB at ~4.5 bits per weight).
  [[nodiscard]] static std::uint64_t guess_size(std::string_view display_name);

 private:
  std::map<std::string, CatalogModel, std::less<>> models_;
};

}  // namespace corral::sim
