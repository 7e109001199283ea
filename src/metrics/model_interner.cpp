#include "metrics/model_interner.hpp"

namespace corral::metrics {

ModelInterner::ModelInterner(std::size_t seen_cap) : seen_cap_(seen_cap) {
  auto t = std::make_shared<Table>();
  t->names = {"other", "none"};
  t->ids.emplace("other", kOther);
  t->ids.emplace("none", kNone);
  table_.store(std::move(t));
}

std::optional<ModelId> ModelInterner::find(std::string_view name) const {
  const auto t = table_.load(std::memory_order_acquire);
  const auto it = t->ids.find(name);
  if (it == t->ids.end()) return std::nullopt;
  return it->second;
}

ModelId ModelInterner::intern(std::string_view name, const OnNew& on_new) {
  if (auto id = find(name)) return *id;
  return add(name, false, on_new);
}

ModelId ModelInterner::intern_configured(std::string_view name, const OnNew& on_new) {
  if (auto id = find(name)) return *id;
  return add(name, true, on_new);
}

ModelId ModelInterner::add(std::string_view name, bool configured, const OnNew& on_new) {
  if (name.empty() || name.size() > kMaxNameLength) return kOther;
  std::lock_guard lock(write_mutex_);
  const auto current = table_.load(std::memory_order_acquire);
  if (const auto it = current->ids.find(name); it != current->ids.end()) return it->second;  // lost a race
  if (configured ? current->configured >= kMaxConfigured : current->seen >= seen_cap_) return kOther;

  auto next = std::make_shared<Table>(*current);
  const auto id = static_cast<ModelId>(next->names.size());
  next->names.emplace_back(name);
  next->ids.emplace(std::string(name), id);
  (configured ? next->configured : next->seen) += 1;
  if (on_new) on_new(id, next->names.back());
  table_.store(std::shared_ptr<const Table>(std::move(next)), std::memory_order_release);
  return id;
}

std::string ModelInterner::name(ModelId id) const {
  const auto t = table_.load(std::memory_order_acquire);
  return id < t->names.size() ? t->names[id] : std::string("other");
}

std::size_t ModelInterner::size() const { return table_.load(std::memory_order_acquire)->names.size(); }

}  // namespace corral::metrics
