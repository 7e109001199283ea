#include "models/model_catalog.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "routing/model_name.hpp"

namespace corral::models {

ModelCatalog::ModelCatalog() : set_(std::make_shared<const Set>()) {}

bool ModelCatalog::warm(std::uint64_t model_hash) const {
  const auto set = set_.load(std::memory_order_acquire);
  return std::binary_search(set->begin(), set->end(), model_hash);
}

void ModelCatalog::mark_served(std::uint64_t model_hash) {
  auto current = set_.load(std::memory_order_acquire);
  for (;;) {
    if (std::binary_search(current->begin(), current->end(), model_hash)) return;
    auto next = std::make_shared<Set>(*current);
    next->insert(std::lower_bound(next->begin(), next->end(), model_hash), model_hash);
    std::shared_ptr<const Set> next_const = std::move(next);
    if (set_.compare_exchange_weak(current, next_const, std::memory_order_acq_rel)) return;
  }
}

void ModelCatalog::replace(std::vector<std::uint64_t> model_hashes) {
  std::sort(model_hashes.begin(), model_hashes.end());
  model_hashes.erase(std::unique(model_hashes.begin(), model_hashes.end()), model_hashes.end());
  set_.store(std::make_shared<const Set>(std::move(model_hashes)), std::memory_order_release);
}

std::size_t ModelCatalog::size() const { return set_.load(std::memory_order_acquire)->size(); }

bool ModelCatalog::may_have(std::uint64_t model_hash) const {
  const auto inventory = inventory_.load(std::memory_order_acquire);
  return !inventory || std::binary_search(inventory->begin(), inventory->end(), model_hash);
}

void ModelCatalog::replace_inventory(std::vector<std::uint64_t> model_hashes) {
  std::sort(model_hashes.begin(), model_hashes.end());
  model_hashes.erase(std::unique(model_hashes.begin(), model_hashes.end()), model_hashes.end());
  inventory_.store(std::make_shared<const Set>(std::move(model_hashes)), std::memory_order_release);
}

std::vector<std::string> model_keys_in_listing(std::string_view json) {
  std::vector<std::string> keys;
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(json, ec);
  if (ec || !root.is_object()) return keys;
  const auto* list = root.as_object().if_contains("models");
  if (list == nullptr || !list->is_array()) return keys;
  for (const auto& m : list->as_array()) {
    if (!m.is_object()) continue;
    const auto* name = m.as_object().if_contains("name");
    if (name == nullptr || !name->is_string()) continue;
    if (auto key = routing::model_key(std::string_view(name->as_string()))) keys.push_back(std::move(*key));
  }
  return keys;
}

}  // namespace corral::models
