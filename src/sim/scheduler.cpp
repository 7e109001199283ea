// Differences from Ollama's scheduler, on purpose: the victim is the least recently used idle model
// (Ollama sorts by keep-alive duration, which makes eviction order hard to reason about in tests), and a
// load that cannot fit evicts nothing until it can fit after evicting idle models only, so a busy model
// is never thrown out and idle ones are not dropped for a load that must wait anyway.
#include "sim/scheduler.hpp"

#include <algorithm>

namespace corral::sim {
namespace {

// Durations beyond this are treated as "forever": now + d would overflow the clock's int64 nanoseconds.
constexpr Nanos kForeverThreshold = std::chrono::hours(24 * 365 * 100);

bool is_forever(Nanos keep_alive) { return keep_alive < Nanos::zero() || keep_alive >= kForeverThreshold; }

}  // namespace

Scheduler::Scheduler(SchedulerConfig config) : config_(config) {
  if (config_.num_parallel < 1) config_.num_parallel = 1;
  if (config_.max_loaded < 1) config_.max_loaded = 1;
  if (config_.max_queue < 0) config_.max_queue = 0;
}

AdmitResult Scheduler::admit(const ModelRef& model, std::optional<Nanos> keep_alive,
                             std::shared_ptr<Waiter> waiter, TimePoint now, Wakes& wakes) {
  if (auto it = runners_.find(model.key); it != runners_.end() && !it->second.loading) {
    Runner& r = it->second;
    if (r.active < r.parallel && r.queue.empty()) {
      take_slot(r, keep_alive);
      return {AdmitStatus::kRun};
    }
    if (!config_.hot_queue_unbounded && at_queue_limit()) {
      ++counters_.rejected_busy;
      return {AdmitStatus::kBusy};
    }
    if (!waiter) return {AdmitStatus::kMustWait};
    waiter->runner_at = now;
    waiter->slot_queued = true;
    r.queue.push_back({std::move(waiter), keep_alive});
    ++waiting_;
    return {AdmitStatus::kQueued};
  }
  if (at_queue_limit()) {
    ++counters_.rejected_busy;
    return {AdmitStatus::kBusy};
  }
  if (!waiter) {
    // Nobody is ahead and the model fits (after evicting idle models): this request loads it itself.
    if (!pending_.empty() || loading_) return {AdmitStatus::kMustWait};
    const std::uint64_t need = std::min(model.size, config_.vram);
    if (!make_room(need)) return {AdmitStatus::kMustWait};
    const Nanos t = start_load(std::string(model.key), std::string(model.display), model.size, model.parallel,
                               keep_alive, now);
    return {AdmitStatus::kLoad, t};
  }
  pending_.push_back({std::move(waiter), std::string(model.key), std::string(model.display), model.size,
                      model.parallel, keep_alive});
  ++waiting_;
  process_pending(now, wakes);
  return {AdmitStatus::kQueued};
}

void Scheduler::take_slot(Runner& r, std::optional<Nanos> keep_alive) {
  ++r.active;
  ++active_;
  // Ollama's useLoadedRunner: a request that names a keep_alive sets the model's duration; one that does
  // not (every /v1 call) leaves it, so an OpenAI call never undoes a -1 pin.
  if (keep_alive) r.keep_alive = *keep_alive;
}

void Scheduler::grant(Wakes& wakes, std::shared_ptr<Waiter> waiter, Grant g) {
  waiter->granted = g;
  wakes.push_back({std::move(waiter), g});
}

void Scheduler::release(std::string_view key, TimePoint now, Wakes& wakes) {
  auto it = runners_.find(key);
  if (it == runners_.end() || it->second.active == 0) return;
  Runner& r = it->second;
  --r.active;
  --active_;
  r.last_used = now;
  if (!r.queue.empty()) {
    SlotWaiter next = std::move(r.queue.front());
    r.queue.pop_front();
    --waiting_;
    take_slot(r, next.keep_alive);
    grant(wakes, std::move(next.waiter), {Grant::Kind::kRun, Nanos{0}});
    return;
  }
  if (r.active == 0 && !r.loading) went_idle(it, now, wakes);
}

void Scheduler::went_idle(Runners::iterator it, TimePoint now, Wakes& wakes) {
  Runner& r = it->second;
  r.last_used = now;
  if (r.keep_alive == Nanos::zero()) {
    unload_runner(it);
    ++counters_.unloads;
  } else if (!is_forever(r.keep_alive)) {
    r.expires_at = now + r.keep_alive;
  }
  process_pending(now, wakes);  // a load blocked on memory may now evict this model
}

void Scheduler::unload_runner(Runners::iterator it) {
  vram_used_ -= it->second.vram;
  runners_.erase(it);
}

void Scheduler::load_done(std::string_view key, TimePoint now, Wakes& wakes) {
  auto it = runners_.find(key);
  if (it == runners_.end() || !it->second.loading) return;
  Runner& r = it->second;
  r.loading = false;
  loading_ = false;
  ++counters_.loads;
  r.last_used = now;
  // Before the first request on a fresh load finishes, /api/ps shows now + keep-alive.
  if (!is_forever(r.keep_alive)) r.expires_at = now + r.keep_alive;
  process_pending(now, wakes);
}

void Scheduler::abort_load(std::string_view key, TimePoint now, Wakes& wakes) {
  auto it = runners_.find(key);
  if (it == runners_.end() || !it->second.loading) return;
  --it->second.active;
  --active_;
  loading_ = false;
  ++counters_.load_aborts;
  unload_runner(it);  // waiters for this model sit in pending_, so none is attached to the runner
  process_pending(now, wakes);
}

bool Scheduler::cancel(const Waiter* waiter, TimePoint now, Wakes& wakes) {
  for (auto p = pending_.begin(); p != pending_.end(); ++p) {
    if (p->waiter.get() == waiter) {
      pending_.erase(p);
      --waiting_;
      process_pending(now, wakes);  // it may have been the head blocking the others
      return true;
    }
  }
  for (auto& [key, r] : runners_) {
    for (auto q = r.queue.begin(); q != r.queue.end(); ++q) {
      if (q->waiter.get() == waiter) {
        r.queue.erase(q);
        --waiting_;
        return true;
      }
    }
  }
  return false;
}

bool Scheduler::unload(std::string_view key, TimePoint now, Wakes& wakes) {
  auto it = runners_.find(key);
  if (it == runners_.end() || it->second.loading) return false;
  Runner& r = it->second;
  r.keep_alive = Nanos::zero();  // Ollama's expireRunner: the unload happens once in-flight work ends
  if (r.active == 0 && r.queue.empty()) {
    unload_runner(it);
    ++counters_.unloads;
    process_pending(now, wakes);
  }
  return true;
}

std::optional<TimePoint> Scheduler::expire(TimePoint now, Wakes& wakes) {
  bool any = false;
  for (auto it = runners_.begin(); it != runners_.end();) {
    const Runner& r = it->second;
    const bool idle = !r.loading && r.active == 0 && r.queue.empty();
    if (idle && !is_forever(r.keep_alive) && r.expires_at <= now) {
      vram_used_ -= r.vram;
      it = runners_.erase(it);
      ++counters_.unloads;
      any = true;
    } else {
      ++it;
    }
  }
  if (any) process_pending(now, wakes);
  return next_expiry();
}

std::optional<TimePoint> Scheduler::next_expiry() const {
  std::optional<TimePoint> next;
  for (const auto& [key, r] : runners_) {
    if (r.loading || r.active != 0 || is_forever(r.keep_alive)) continue;
    if (!next || r.expires_at < *next) next = r.expires_at;
  }
  return next;
}

void Scheduler::process_pending(TimePoint now, Wakes& wakes) {
  while (!loading_ && !pending_.empty()) {
    Pending& p = pending_.front();
    if (auto it = runners_.find(p.key); it != runners_.end()) {
      Runner& r = it->second;
      p.waiter->runner_at = now;
      if (r.active < r.parallel && r.queue.empty()) {
        take_slot(r, p.keep_alive);
        --waiting_;
        grant(wakes, std::move(p.waiter), {Grant::Kind::kRun, Nanos{0}});
      } else {
        p.waiter->slot_queued = true;
        r.queue.push_back({std::move(p.waiter), p.keep_alive});  // still waiting, now for a slot
      }
      pending_.pop_front();
      continue;
    }
    const std::uint64_t need = std::min(p.size, config_.vram);
    if (!make_room(need)) return;  // head of line: waits until a busy model goes idle
    const Nanos t = start_load(std::move(p.key), std::move(p.display), p.size, p.parallel, p.keep_alive, now);
    --waiting_;
    grant(wakes, std::move(p.waiter), {Grant::Kind::kLoad, t});
    pending_.pop_front();
  }
}

Nanos Scheduler::start_load(std::string key, std::string display, std::uint64_t size, int parallel,
                            std::optional<Nanos> keep_alive, TimePoint now) {
  Runner r;
  r.display = std::move(display);
  r.size = size;
  r.vram = std::min(size, config_.vram);
  r.parallel = parallel > 0 ? parallel : config_.num_parallel;
  r.loading = true;
  r.keep_alive = keep_alive.value_or(config_.default_keep_alive);
  r.last_used = now;
  r.cache = PromptCache({r.parallel, config_.cache_ram, config_.kv_per_token});
  take_slot(r, std::nullopt);
  vram_used_ += r.vram;
  loading_ = true;
  runners_.emplace(std::move(key), std::move(r));
  return load_time(size);
}

bool Scheduler::make_room(std::uint64_t need) {
  const auto max_loaded = static_cast<std::size_t>(config_.max_loaded);
  auto fits = [&](std::uint64_t used, std::size_t count) { return count < max_loaded && used + need <= config_.vram; };
  if (fits(vram_used_, runners_.size())) return true;
  std::vector<Runners::iterator> idle;
  for (auto it = runners_.begin(); it != runners_.end(); ++it) {
    const Runner& r = it->second;
    if (!r.loading && r.active == 0 && r.queue.empty()) idle.push_back(it);
  }
  std::sort(idle.begin(), idle.end(), [](auto a, auto b) { return a->second.last_used < b->second.last_used; });
  std::uint64_t used = vram_used_;
  std::size_t count = runners_.size();
  std::size_t victims = 0;
  while (victims < idle.size() && !fits(used, count)) {
    used -= idle[victims]->second.vram;
    --count;
    ++victims;
  }
  if (!fits(used, count)) return false;
  for (std::size_t i = 0; i < victims; ++i) {
    unload_runner(idle[i]);
    ++counters_.evictions;
  }
  return true;
}

Nanos Scheduler::load_time(std::uint64_t size) const {
  const double seconds = static_cast<double>(size) / (config_.load_gbps * 1e9);
  return Nanos(static_cast<std::int64_t>(seconds * 1e9));
}

PromptCache* Scheduler::prompt_cache(std::string_view key) {
  auto it = runners_.find(key);
  if (it == runners_.end() || it->second.loading) return nullptr;
  return &it->second.cache;
}

std::vector<RunnerView> Scheduler::runners() const {
  std::vector<RunnerView> out;
  out.reserve(runners_.size());
  for (const auto& [key, r] : runners_) {
    out.push_back({key, r.display, r.size, r.vram, r.loading, is_forever(r.keep_alive), r.expires_at, r.active,
                   static_cast<int>(r.queue.size())});
  }
  return out;
}

}  // namespace corral::sim
