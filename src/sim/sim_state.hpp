// The simulator's shared state behind one small mutex: the model catalog, the scheduler (with each
// loaded model's prompt cache) and the counters /sim/stats reports. Every method locks briefly, never across a co_await, and fires the
// scheduler's wake-ups after unlocking (waiters post to their own executor). Reads the steady clock
// itself; tests that need control over time drive Scheduler directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/model_catalog.hpp"
#include "sim/scheduler.hpp"
#include "sim/sim_options.hpp"

namespace corral::sim {

/// Counters that need no lock (relaxed atomics, read for /sim/stats).
struct SimCounters {
  std::atomic<std::uint64_t> requests{0};            ///< generate/chat/embed requests received
  std::atomic<std::uint64_t> cancelled{0};           ///< requests whose client left before the end
  std::atomic<std::uint64_t> connections_opened{0};  ///< accepted TCP connections
  std::atomic<std::uint64_t> connections_refused{0}; ///< closed at once by the refuse_connections fault
  std::atomic<std::uint64_t> faults_injected{0};     ///< requests a fault acted on
  /// Requests that found their model resident but had to wait for one of its parallel slots, and the
  /// nanoseconds they waited (resident runner found -> slot granted). That wait is in total_duration,
  /// not in load_duration, as in Ollama.
  std::atomic<std::uint64_t> slot_waits{0};
  std::atomic<std::uint64_t> slot_wait_ns{0};
  std::atomic<std::uint64_t> health_delayed{0};   ///< health answers the health_delay fault held back
  std::atomic<std::uint64_t> health_delaying{0};  ///< of those, the ones still held back now
  std::atomic<std::uint64_t> prompt_tokens{0};         ///< prompt tokens of every request that was evaluated
  std::atomic<std::uint64_t> prompt_tokens_cached{0};  ///< of those, the ones a prompt cache served
};

struct ModelAdmission {
  bool found = false;
  bool capable = true;  ///< false: an embedding-only model asked to generate (nothing was admitted)
  AdmitResult result;
};

class SimState final {
 public:
  explicit SimState(const SimOptions& options);

  /// Admission of one inference request for the model with short key `key`. Counts it per model on the
  /// first call (the one without a waiter). `generates`: the request wants text, which embedding-only
  /// models cannot give.
  [[nodiscard]] ModelAdmission admit(std::string_view key, std::optional<Nanos> keep_alive,
                                     std::shared_ptr<Waiter> waiter, bool generates);
  /// The resident model `key` takes a prompt of `tokens` (rendered bytes, whole 4-byte tokens): which
  /// of its prompt-cache slots the request holds and how many tokens it reuses. Call once the request
  /// holds a scheduler slot; pass the cache slot back to release().
  [[nodiscard]] PromptHit begin_prompt(std::string_view key, std::string_view tokens);
  /// Gives back a scheduler slot and, when `cache_slot` >= 0, the prompt-cache slot taken with it.
  void release(std::string_view key, int cache_slot = -1);
  void load_done(std::string_view key);
  void abort_load(std::string_view key);
  [[nodiscard]] bool cancel(const Waiter* waiter);
  bool unload(std::string_view key);

  /// Unloads expired models; returns the next deadline (the expiry timer re-arms on it).
  std::optional<TimePoint> expire();

  /// Called (outside the lock) with a keep-alive deadline earlier than the one the expiry timer waits
  /// for, so the timer can re-arm. Set once before serving.
  void on_earlier_expiry(std::function<void(TimePoint)> fn) { earlier_expiry_ = std::move(fn); }

  // The catalog (copies: callers format them without holding the lock).
  [[nodiscard]] std::optional<CatalogModel> find_model(std::string_view key) const;
  [[nodiscard]] std::vector<CatalogModel> list_models() const;
  bool add_model(std::string_view name, std::uint64_t size);
  bool remove_model(std::string_view key);

  [[nodiscard]] std::vector<RunnerView> runners() const;

  /// The /sim/stats body.
  [[nodiscard]] std::string stats_json() const;

  [[nodiscard]] const SchedulerConfig& config() const { return config_; }
  SimCounters& counters() { return counters_; }

 private:
  void finish(std::unique_lock<std::mutex>& lock, Wakes& wakes);

  SchedulerConfig config_;
  mutable std::mutex mu_;
  ModelCatalog catalog_;
  Scheduler scheduler_;
  std::map<std::string, std::uint64_t, std::less<>> requests_by_model_;
  TimePoint armed_expiry_ = TimePoint::max();
  std::function<void(TimePoint)> earlier_expiry_;
  SimCounters counters_;
};

}  // namespace corral::sim
