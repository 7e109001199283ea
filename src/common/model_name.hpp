// Ollama's model-name grammar (types/model/name.go ParseNameBare + Merge + DisplayShortest), shared by
// the gateway and the simulator so both agree on which strings name the same model. It parses,
// validates, fills defaults, builds a case-folded identity key and prints the short display form.
// It does not resolve names against manifests (the simulator's catalog and the gateway do that).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace corral::common {

/// Why a name did not parse. Callers map these to their endpoint's own texts.
enum class ModelNameError { kEmpty, kInvalid };

class ModelName final {
 public:
  /// Parses `text` like Ollama: trims spaces, strips a `scheme://`, splits host/namespace/model:tag,
  /// fills `registry.ollama.ai`, `library` and `latest`, then validates every part.
  [[nodiscard]] static std::optional<ModelName> parse(std::string_view text, ModelNameError* error = nullptr);

  /// Identity key, lower-case and fully qualified: `registry.ollama.ai/library/llama3:latest`.
  /// Two names denote the same model exactly when their keys are equal.
  [[nodiscard]] std::string key() const;

  /// Ollama's DisplayShortest with the casing as written: drops the default host, then the default
  /// namespace, always keeps `:tag` (`llama3:latest`, `user/m:latest`, `hf.co/org/repo:Q4_K_M`).
  [[nodiscard]] std::string display() const;

  /// `display()` lower-cased: compact and still one-to-one with `key()` (handy as a map key).
  [[nodiscard]] std::string short_key() const;

  [[nodiscard]] const std::string& host() const { return host_; }
  [[nodiscard]] const std::string& name_space() const { return namespace_; }
  [[nodiscard]] const std::string& model() const { return model_; }
  [[nodiscard]] const std::string& tag() const { return tag_; }

 private:
  std::string host_;
  std::string namespace_;
  std::string model_;
  std::string tag_;
};

/// Appends the short key of `text` (see ModelName::short_key) to `out` without building a ModelName.
/// Returns false (and leaves `out` unspecified) when the name is empty or invalid; `error` says which.
/// For hot paths that key a map by model once per request.
[[nodiscard]] bool append_short_key(std::string& out, std::string_view text, ModelNameError* error = nullptr);

}  // namespace corral::common
