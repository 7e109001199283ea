// ModelInterner: model name -> small dense id, so per-model series are array slots and the
// request path never hashes a name into a label set.
//
// Cardinality cap: every configured model gets an id, plus the first `seen_cap` (default 100)
// other names seen in traffic; any later name maps to id kOther, exported as model="other".
// Without the cap, a client sending random model names would grow the exposition without bound.
// Which names may take a slot is the caller's decision: the proxy offers only names some backend has
// (proxy/accounting.cpp) and counts the rest as kOther after a find(), which takes no slot, so random
// names cannot use up the slots of real models that come later.
// Names longer than kMaxNameLength also map to kOther. Names are taken as given: normalising
// ("llama3" vs "llama3:latest") is the router's job before it asks for an id.
//
// Read-mostly: lookups load an immutable table through std::atomic<std::shared_ptr<const T>>
// and never lock; adding a name copies the table under a mutex and publishes the copy
// (copy-on-write; at most a few hundred adds per process).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace corral::metrics {

using ModelId = std::uint16_t;

class ModelInterner {
 public:
  static constexpr ModelId kOther = 0;  // model="other": over the cap
  static constexpr ModelId kNone = 1;   // model="none": requests that name no model (/api/tags...)
  static constexpr std::size_t kMaxNameLength = 200;
  static constexpr std::size_t kMaxConfigured = 4096;

  explicit ModelInterner(std::size_t seen_cap = 100);

  /// Lock-free lookup; nullopt when the name has no id (yet).
  std::optional<ModelId> find(std::string_view name) const;

  /// The id for a name seen in traffic: existing id, a new one while under the cap, else kOther.
  /// `on_new(id, name)` runs under the interner's mutex before the new id becomes visible to
  /// find(), so a caller can prepare per-id state that readers of the id may then rely on.
  using OnNew = std::function<void(ModelId, const std::string&)>;
  ModelId intern(std::string_view name, const OnNew& on_new = {});

  /// Ids for configured models: they do not count against the seen cap.
  ModelId intern_configured(std::string_view name, const OnNew& on_new = {});

  /// The label value of an id ("other" for unknown ids).
  std::string name(ModelId id) const;
  /// Number of ids handed out, including kOther and kNone.
  std::size_t size() const;
  /// Upper bound on ids this interner can ever hand out (for sizing per-id arrays).
  std::size_t max_ids() const noexcept { return 2 + kMaxConfigured + seen_cap_; }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Table {
    std::unordered_map<std::string, ModelId, StringHash, std::equal_to<>> ids;
    std::vector<std::string> names;  // indexed by id
    std::size_t seen = 0;            // ids given to names seen in traffic
    std::size_t configured = 0;
  };
  ModelId add(std::string_view name, bool configured, const OnNew& on_new);

  const std::size_t seen_cap_;
  std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const Table>> table_;
};

}  // namespace corral::metrics
