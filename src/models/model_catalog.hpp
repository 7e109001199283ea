// What one backend has warm: the models it holds loaded (from polling its /api/ps on the control
// thread) or served recently (from the data path's own traffic). model_aware prefers a warm backend.
// Lock-free for readers: the set is an immutable sorted vector of model-key hashes behind an atomic
// shared_ptr, replaced copy-on-write (a new model is rare next to the reads of every pick). The
// model-lifecycle work (issue 5) extends this with sizes, expiry and load estimates. The inventory (models
// on disk, from /api/tags) keeps requests away from backends that would answer "model not found".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace corral::models {

class ModelCatalog final {
 public:
  ModelCatalog();

  /// True when the model (lb::hash_key of its routing key) is warm here. Any thread; no lock.
  [[nodiscard]] bool warm(std::uint64_t model_hash) const;
  /// Marks a model warm after this backend served it. Any thread; copies the set only when it is new.
  void mark_served(std::uint64_t model_hash);
  /// Replaces the set with the models the backend reported loaded (control thread, after /api/ps).
  void replace(std::vector<std::uint64_t> model_hashes);
  /// Number of warm models (status, tests).
  [[nodiscard]] std::size_t size() const;

  /// False only when the backend's /api/tags was read and does not list the model: it would answer 404,
  /// so it is no candidate while another backend has the model. True while the inventory is unknown.
  [[nodiscard]] bool may_have(std::uint64_t model_hash) const;
  /// Replaces the inventory with the models the backend reported on disk (control thread, /api/tags).
  void replace_inventory(std::vector<std::uint64_t> model_hashes);

 private:
  using Set = std::vector<std::uint64_t>;  // sorted, unique
  std::atomic<std::shared_ptr<const Set>> set_;
  std::atomic<std::shared_ptr<const Set>> inventory_;  // null = not read yet
};

/// The routing keys of the models in an /api/ps or /api/tags answer (`models[].name`, normalised);
/// names that do not normalise are skipped. Empty on malformed JSON.
[[nodiscard]] std::vector<std::string> model_keys_in_listing(std::string_view json);

}  // namespace corral::models
