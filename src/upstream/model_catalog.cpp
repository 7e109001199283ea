#include "upstream/model_catalog.hpp"

#include <algorithm>
#include <ctime>

#include <boost/json.hpp>

#include "common/hash.hpp"
#include "routing/model_name.hpp"

namespace corral::upstream {
namespace {

const ModelCatalog::Entry* lookup(const ModelCatalog::Table& t, std::uint64_t hash) {
  const auto it = std::lower_bound(t.begin(), t.end(), hash, [](const auto& e, std::uint64_t h) { return e.first < h; });
  return it != t.end() && it->first == hash ? &*it : nullptr;
}

// Ollama's expires_at is RFC 3339 with a zone offset ("2026-11-23T10:35:00.123+01:00"); seconds suffice.
std::int64_t unix_seconds(std::string_view text) {
  std::tm tm{};
  if (text.size() < 19) return 0;
  if (std::sscanf(std::string(text.substr(0, 19)).c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t t = timegm(&tm);
  std::size_t i = 19;
  while (i < text.size() && (text[i] == '.' || (text[i] >= '0' && text[i] <= '9'))) ++i;
  if (i + 6 <= text.size() && (text[i] == '+' || text[i] == '-')) {
    const int hh = (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
    const int mm = (text[i + 4] - '0') * 10 + (text[i + 5] - '0');
    const std::int64_t off = (hh * 60 + mm) * 60;
    t += text[i] == '+' ? -off : off;
  }
  return t;
}

std::uint64_t json_u64(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() > 0) return static_cast<std::uint64_t>(v->as_int64());
  return 0;
}

}  // namespace

ModelCatalog::ModelCatalog() : pull_slots(std::make_shared<admission::Slots>()), table_(std::make_shared<const Table>()) {
  pull_slots->limit.store(1, std::memory_order_relaxed);
}

bool ModelCatalog::warm(std::uint64_t model_hash) const {
  const auto t = table();
  const Entry* e = lookup(*t, model_hash);
  return e != nullptr && (e->second->loaded.load(std::memory_order_relaxed) ||
                          e->second->loading_since_ns.load(std::memory_order_relaxed) != 0);
}

void ModelCatalog::mark_served(std::uint64_t model_hash, std::optional<std::chrono::nanoseconds> load_duration,
                               std::int64_t now_ns) {
  const auto s = find(model_hash);
  if (!s) return;
  if (now_ns == 0) {
    now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  const std::int64_t since = s->loading_since_ns.exchange(0, std::memory_order_relaxed);
  const bool was_loaded = s->loaded.exchange(true, std::memory_order_relaxed);
  // A load this long while we believed the model loaded means it had been evicted behind our back.
  const bool reloaded = load_duration && *load_duration >= std::chrono::milliseconds(100);
  if (!was_loaded || reloaded) s->loaded_at_ns.store(now_ns, std::memory_order_relaxed);
  if (now_ns != 0) s->last_used_ns.store(now_ns, std::memory_order_relaxed);
  if (load_duration && load_duration->count() > 0 && (since != 0 || reloaded)) {
    // Halve the weight of the past each time: quick to follow a changed disk, steady against one outlier.
    const std::int64_t seen = load_duration->count();
    const std::int64_t old = s->learned_load_ns.load(std::memory_order_relaxed);
    s->learned_load_ns.store(old == 0 ? seen : (old + seen) / 2, std::memory_order_relaxed);
  }
}

std::size_t ModelCatalog::size() const {
  const auto t = table();
  return static_cast<std::size_t>(std::count_if(t->begin(), t->end(), [](const Entry& e) {
    return e.second->loaded.load(std::memory_order_relaxed) ||
           e.second->loading_since_ns.load(std::memory_order_relaxed) != 0;
  }));
}

std::shared_ptr<ModelState> ModelCatalog::find(std::uint64_t model_hash) const {
  const auto t = table();
  const Entry* e = lookup(*t, model_hash);
  return e != nullptr ? e->second : nullptr;
}

std::shared_ptr<ModelState> ModelCatalog::state(std::uint64_t model_hash, std::string_view key) {
  auto current = table_.load(std::memory_order_acquire);
  // Most calls find the model: only a miss pays for the new state (two allocations) and the table copy.
  if (const Entry* e = lookup(*current, model_hash)) return e->second;
  auto fresh = std::make_shared<ModelState>(std::string(key));
  for (;;) {
    if (const Entry* e = lookup(*current, model_hash)) return e->second;
    auto next = std::make_shared<Table>(*current);
    const auto at = std::lower_bound(next->begin(), next->end(), model_hash,
                                     [](const Entry& e, std::uint64_t h) { return e.first < h; });
    next->insert(at, Entry{model_hash, fresh});
    std::shared_ptr<const Table> next_const = std::move(next);
    if (table_.compare_exchange_weak(current, next_const, std::memory_order_acq_rel)) return fresh;
  }
}

bool ModelCatalog::may_have(std::uint64_t model_hash) const {
  const auto inventory = inventory_.load(std::memory_order_acquire);
  return !inventory || std::binary_search(inventory->begin(), inventory->end(), model_hash);
}

bool ModelCatalog::apply_tags(const std::vector<ListedModel>& models, std::optional<std::uint64_t> sent_at) {
  Set hashes;
  for (const ListedModel& m : models) {
    const std::uint64_t h = common::hash_key(m.key);
    hashes.push_back(h);
    if (m.size != 0) state(h, m.key)->disk_bytes.store(m.size, std::memory_order_relaxed);
  }
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  std::shared_ptr<const Set> fresh = std::make_shared<const Set>(std::move(hashes));
  // Check, then swap with a compare-exchange: an edit bumps the generation before its own swap, so an edit
  // that starts after the check either swaps first (ours then fails and sees the new generation) or
  // edits the listing we stored.
  auto current = inventory_.load(std::memory_order_acquire);
  for (;;) {
    if (sent_at && inventory_generation() != *sent_at) return false;
    if (inventory_.compare_exchange_weak(current, fresh, std::memory_order_acq_rel)) return true;
  }
}

void ModelCatalog::add_to_inventory(std::uint64_t model_hash) { edit_inventory(model_hash, true); }

void ModelCatalog::drop_from_inventory(std::uint64_t model_hash) { edit_inventory(model_hash, false); }

void ModelCatalog::edit_inventory(std::uint64_t model_hash, bool present) {
  inventory_generation_.fetch_add(1, std::memory_order_acq_rel);  // first: see apply_tags
  auto current = inventory_.load(std::memory_order_acquire);
  for (;;) {
    if (!current) return;  // unknown: may_have() already says yes; the first poll decides
    const auto at = std::lower_bound(current->begin(), current->end(), model_hash);
    const bool listed = at != current->end() && *at == model_hash;
    if (listed == present) return;
    auto next = std::make_shared<Set>(*current);
    const auto pos = next->begin() + (at - current->begin());
    if (present) {
      next->insert(pos, model_hash);
    } else {
      next->erase(pos);
    }
    std::shared_ptr<const Set> next_const = std::move(next);
    if (inventory_.compare_exchange_weak(current, next_const, std::memory_order_acq_rel)) return;
  }
}

void ModelCatalog::apply_ps(const std::vector<ListedModel>& models, std::int64_t now_ns) {
  Set listed;
  for (const ListedModel& m : models) {
    const std::uint64_t h = common::hash_key(m.key);
    listed.push_back(h);
    auto s = state(h, m.key);
    if (m.size_vram != 0) s->vram_bytes.store(m.size_vram, std::memory_order_relaxed);
    if (m.expires_at_s != 0) s->expires_at_s.store(m.expires_at_s, std::memory_order_relaxed);
    s->loading_since_ns.store(0, std::memory_order_relaxed);
    if (!s->loaded.exchange(true, std::memory_order_relaxed)) s->loaded_at_ns.store(now_ns, std::memory_order_relaxed);
  }
  std::sort(listed.begin(), listed.end());
  for (const Entry& e : *table()) {
    if (std::binary_search(listed.begin(), listed.end(), e.first)) continue;
    ModelState& s = *e.second;
    if (s.slots->in_flight.load(std::memory_order_relaxed) != 0) continue;  // our own request may be loading it
    s.loaded.store(false, std::memory_order_relaxed);
    s.loading_since_ns.store(0, std::memory_order_relaxed);
  }
}

std::vector<ListedModel> models_in_listing(std::string_view json) {
  std::vector<ListedModel> out;
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(json, ec);
  if (ec || !root.is_object()) return out;
  const auto* list = root.as_object().if_contains("models");
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& m : list->as_array()) {
    if (!m.is_object()) continue;
    const auto& o = m.as_object();
    const auto* name = o.if_contains("name");
    if (name == nullptr || !name->is_string()) continue;
    auto key = routing::model_key(std::string_view(name->as_string()));
    if (!key) continue;
    ListedModel lm{std::move(*key), json_u64(o, "size"), json_u64(o, "size_vram"), 0};
    if (const auto* exp = o.if_contains("expires_at"); exp != nullptr && exp->is_string()) {
      lm.expires_at_s = unix_seconds(std::string_view(exp->as_string()));
    }
    out.push_back(std::move(lm));
  }
  return out;
}

}  // namespace corral::upstream
