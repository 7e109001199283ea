// What one backend holds: the models on its disk (/api/tags) and, per model Corral has seen there, a
// ModelState (loaded or loading, VRAM, last use, learned load time, slot counter). Lock-free for
// readers: the inventory and the model table are immutable sorted vectors behind atomic shared_ptrs,
// replaced copy-on-write (a new model is rare next to the reads of every pick); the per-model facts are
// atomics inside shared ModelState objects. The poller replaces the picture every interval; the data
// path updates it at once (a placed request starts a load, a finished one proves the model loaded).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "upstream/model_state.hpp"

namespace corral::upstream {

/// One model of an /api/tags or /api/ps answer.
struct ListedModel {
  std::string key;               ///< routing key (normalised name)
  std::uint64_t size = 0;        ///< `size`
  std::uint64_t size_vram = 0;   ///< `size_vram` (/api/ps only)
  std::int64_t expires_at_s = 0; ///< `expires_at` as Unix seconds (/api/ps only; 0 when absent)
};

class ModelCatalog final {
 public:
  using Entry = std::pair<std::uint64_t, std::shared_ptr<ModelState>>;
  using Table = std::vector<Entry>;  // sorted by hash, unique

  ModelCatalog();

  /// True when the model is loaded here or a load Corral started is under way. Any thread; no lock.
  [[nodiscard]] bool warm(std::uint64_t model_hash) const;
  /// A request for the model finished well here at `now_ns`: it is loaded. A load_duration observed while
  /// Corral expected a load refines the learned load time. Any thread.
  void mark_served(std::uint64_t model_hash, std::optional<std::chrono::nanoseconds> load_duration = std::nullopt,
                   std::int64_t now_ns = 0);
  /// One pull at a time on this backend: /api/pull requests take this slot (limit 1) besides the backend's.
  const std::shared_ptr<admission::Slots> pull_slots;

  /// Number of models loaded or loading (status, tests).
  [[nodiscard]] std::size_t size() const;

  /// The state of `model_hash`, created for `key` when new. Any thread.
  [[nodiscard]] std::shared_ptr<ModelState> state(std::uint64_t model_hash, std::string_view key);
  /// The state of `model_hash`, or null. Any thread.
  [[nodiscard]] std::shared_ptr<ModelState> find(std::uint64_t model_hash) const;
  /// Every model state known here (iterate to add up VRAM or find eviction victims).
  [[nodiscard]] std::shared_ptr<const Table> table() const { return table_.load(std::memory_order_acquire); }

  /// False only when the backend's /api/tags was read and does not list the model: it would answer 404,
  /// so it is no candidate while another backend has the model. True while the inventory is unknown.
  [[nodiscard]] bool may_have(std::uint64_t model_hash) const;
  /// Replaces the inventory (control thread, after /api/tags) and records the disk sizes. With
  /// `sent_at`, the inventory_generation() read when the /api/tags request was sent: when a management
  /// update came in since, the listing may predate it (and would undo it until the next poll), so the
  /// inventory is left as it is and false returned (the sizes are still recorded).
  bool apply_tags(const std::vector<ListedModel>& models, std::optional<std::uint64_t> sent_at = std::nullopt);
  /// Bumped by every add_to_inventory / drop_from_inventory (before the inventory changes). Any thread.
  [[nodiscard]] std::uint64_t inventory_generation() const {
    return inventory_generation_.load(std::memory_order_acquire);
  }
  /// A management call through the gateway put the model on this backend's disk (pull, create, copy) or
  /// removed it (delete): the inventory says so at once, before the next poll. While the inventory is
  /// unknown (never polled) it stays unknown: may_have() is true for every model then anyway, and the
  /// first poll brings the truth. Any thread (copy-on-write, like the table).
  void add_to_inventory(std::uint64_t model_hash);
  void drop_from_inventory(std::uint64_t model_hash);
  /// Replaces the loaded set (control thread, after /api/ps). A model not listed stays "loading" while
  /// requests Corral placed for it still run here; otherwise it is no longer loaded.
  void apply_ps(const std::vector<ListedModel>& models, std::int64_t now_ns);

 private:
  using Set = std::vector<std::uint64_t>;  // sorted, unique
  void edit_inventory(std::uint64_t model_hash, bool present);
  std::atomic<std::shared_ptr<const Table>> table_;
  std::atomic<std::shared_ptr<const Set>> inventory_;  // null = not read yet
  std::atomic<std::uint64_t> inventory_generation_{0};
};

/// The models of an /api/ps or /api/tags answer (`models[]`); names that do not normalise are skipped.
/// Empty on malformed JSON.
[[nodiscard]] std::vector<ListedModel> models_in_listing(std::string_view json);

}  // namespace corral::upstream
