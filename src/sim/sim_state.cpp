#include "sim/sim_state.hpp"

#include "common/go_json.hpp"

namespace corral::sim {
namespace {

SchedulerConfig config_from(const SimOptions& o) {
  SchedulerConfig c;
  c.vram = o.vram;
  c.num_parallel = o.num_parallel;
  c.max_queue = o.max_queue;
  c.max_loaded = o.max_loaded;
  c.load_gbps = o.load_gbps;
  c.default_keep_alive = o.keep_alive;
  c.hot_queue_unbounded = o.hot_queue_unbounded;
  c.cache_ram = o.cache_ram;
  c.kv_per_token = o.kv_per_token;
  return c;
}

}  // namespace

SimState::SimState(const SimOptions& options) : config_(config_from(options)), scheduler_(config_) {
  for (const auto& m : options.models) catalog_.add(m.name, m.size);
}

void SimState::finish(std::unique_lock<std::mutex>& lock, Wakes& wakes) {
  // A model that went idle may now expire before what the timer waits for.
  std::optional<TimePoint> earlier;
  if (const auto next = scheduler_.next_expiry(); next && *next < armed_expiry_) {
    armed_expiry_ = *next;
    earlier = next;
  }
  lock.unlock();
  for (auto& w : wakes) w.waiter->wake(w.grant);
  if (earlier && earlier_expiry_) earlier_expiry_(*earlier);
}

ModelAdmission SimState::admit(std::string_view key, std::optional<Nanos> keep_alive, std::shared_ptr<Waiter> waiter,
                               bool generates) {
  ModelAdmission out;
  Wakes wakes;
  std::unique_lock lock(mu_);
  const CatalogModel* m = catalog_.find(key);
  if (m == nullptr) return out;
  out.found = true;
  if (generates && m->embedding) {
    out.capable = false;
    return out;
  }
  const bool counted = !waiter;  // a retry with a waiter (after kMustWait) is the same request
  if (counted) {
    if (auto it = requests_by_model_.find(m->display); it != requests_by_model_.end()) ++it->second;
    else requests_by_model_.emplace(m->display, 1);
  }
  ModelRef ref{m->key, m->display, m->size, m->embedding ? 1 : 0};
  out.result = scheduler_.admit(ref, keep_alive, std::move(waiter), SteadyClock::now(), wakes);
  finish(lock, wakes);
  return out;
}

PromptHit SimState::begin_prompt(std::string_view key, std::string_view tokens) {
  std::lock_guard lock(mu_);
  PromptCache* cache = scheduler_.prompt_cache(key);
  return cache != nullptr ? cache->acquire(tokens) : PromptHit{};
}

void SimState::release(std::string_view key, int cache_slot) {
  Wakes wakes;
  std::unique_lock lock(mu_);
  // Both in one step: the next request granted this scheduler slot must find an idle cache slot.
  if (cache_slot >= 0) {
    if (PromptCache* cache = scheduler_.prompt_cache(key)) cache->release(cache_slot);
  }
  scheduler_.release(key, SteadyClock::now(), wakes);
  finish(lock, wakes);
}

void SimState::load_done(std::string_view key) {
  Wakes wakes;
  std::unique_lock lock(mu_);
  scheduler_.load_done(key, SteadyClock::now(), wakes);
  finish(lock, wakes);
}

void SimState::abort_load(std::string_view key) {
  Wakes wakes;
  std::unique_lock lock(mu_);
  scheduler_.abort_load(key, SteadyClock::now(), wakes);
  finish(lock, wakes);
}

bool SimState::cancel(const Waiter* waiter) {
  Wakes wakes;
  std::unique_lock lock(mu_);
  const bool removed = scheduler_.cancel(waiter, SteadyClock::now(), wakes);
  finish(lock, wakes);
  return removed;
}

bool SimState::unload(std::string_view key) {
  Wakes wakes;
  std::unique_lock lock(mu_);
  const bool found = scheduler_.unload(key, SteadyClock::now(), wakes);
  finish(lock, wakes);
  return found;
}

std::optional<TimePoint> SimState::expire() {
  Wakes wakes;
  std::unique_lock lock(mu_);
  const auto next = scheduler_.expire(SteadyClock::now(), wakes);
  armed_expiry_ = next.value_or(TimePoint::max());
  lock.unlock();
  for (auto& w : wakes) w.waiter->wake(w.grant);
  return next;
}

std::optional<CatalogModel> SimState::find_model(std::string_view key) const {
  std::lock_guard lock(mu_);
  const CatalogModel* m = catalog_.find(key);
  if (m == nullptr) return std::nullopt;
  return *m;
}

std::vector<CatalogModel> SimState::list_models() const {
  std::lock_guard lock(mu_);
  std::vector<CatalogModel> out;
  for (const CatalogModel* m : catalog_.list()) out.push_back(*m);
  return out;
}

bool SimState::add_model(std::string_view name, std::uint64_t size) {
  std::lock_guard lock(mu_);
  return catalog_.add(name, size);
}

bool SimState::remove_model(std::string_view key) {
  Wakes wakes;
  std::unique_lock lock(mu_);
  const bool removed = catalog_.remove(key);
  if (removed) scheduler_.unload(key, SteadyClock::now(), wakes);  // Ollama unloads a deleted model
  finish(lock, wakes);
  return removed;
}

std::vector<RunnerView> SimState::runners() const {
  std::lock_guard lock(mu_);
  return scheduler_.runners();
}

std::string SimState::stats_json() const {
  std::unique_lock lock(mu_);
  const auto c = scheduler_.counters();
  const auto runners = scheduler_.runners();
  const auto by_model = requests_by_model_;
  const int active = scheduler_.active();
  const int queued = scheduler_.waiting();
  const std::uint64_t vram_used = scheduler_.vram_used();
  lock.unlock();

  auto num = [](std::string& out, std::string_view key, std::uint64_t v) {
    out += '"';
    out += key;
    out += "\":";
    out += std::to_string(v);
    out += ',';
  };
  std::string out = "{";
  num(out, "requests", counters_.requests.load(std::memory_order_relaxed));
  num(out, "loads", c.loads);
  num(out, "load_aborts", c.load_aborts);
  num(out, "evictions", c.evictions);
  num(out, "unloads", c.unloads);
  num(out, "active", static_cast<std::uint64_t>(active));
  num(out, "queued", static_cast<std::uint64_t>(queued));
  num(out, "cancelled", counters_.cancelled.load(std::memory_order_relaxed));
  num(out, "rejected_busy", c.rejected_busy);
  num(out, "connections_opened", counters_.connections_opened.load(std::memory_order_relaxed));
  num(out, "connections_refused", counters_.connections_refused.load(std::memory_order_relaxed));
  num(out, "faults_injected", counters_.faults_injected.load(std::memory_order_relaxed));
  num(out, "slot_waits", counters_.slot_waits.load(std::memory_order_relaxed));
  num(out, "slot_wait_ns", counters_.slot_wait_ns.load(std::memory_order_relaxed));
  num(out, "health_delayed", counters_.health_delayed.load(std::memory_order_relaxed));
  num(out, "health_delaying", counters_.health_delaying.load(std::memory_order_relaxed));
  num(out, "prompt_tokens", counters_.prompt_tokens.load(std::memory_order_relaxed));
  num(out, "prompt_tokens_cached", counters_.prompt_tokens_cached.load(std::memory_order_relaxed));
  num(out, "vram_total", config_.vram);
  num(out, "vram_used", vram_used);
  out += "\"loaded\":[";
  bool first = true;
  for (const auto& r : runners) {
    if (r.loading) continue;
    if (!first) out += ',';
    first = false;
    gojson::append_string(out, r.display);
  }
  out += "],\"loading\":[";
  first = true;
  for (const auto& r : runners) {
    if (!r.loading) continue;
    if (!first) out += ',';
    first = false;
    gojson::append_string(out, r.display);
  }
  out += "],\"requests_by_model\":{";
  first = true;
  for (const auto& [name, n] : by_model) {
    if (!first) out += ',';
    first = false;
    gojson::append_string(out, name);
    out += ':';
    out += std::to_string(n);
  }
  out += "}}";
  return out;
}

}  // namespace corral::sim
