// The simulator's model scheduler as a pure state machine (Ollama's server/sched.go, simplified):
// VRAM accounting, which models are loaded, one load at a time, LRU eviction of idle models, per-model
// parallel slots with FIFO waiters, the bounded waiting count behind the 503, keep-alive expiry, and
// each loaded model's prompt cache (which goes with the model when it is unloaded or evicted).
// It owns no sockets, timers or locks and never reads a clock: every call takes `now`, and every waiter
// it decides to wake is appended to a `Wakes` list that the caller fires after releasing its lock.
// Not thread-safe; SimState wraps it in a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/prompt_cache.hpp"

namespace corral::sim {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Nanos = std::chrono::nanoseconds;

/// What a waiting request is granted when it leaves a queue.
struct Grant {
  enum class Kind {
    kRun,   ///< holds one slot of a loaded model; call release() when done
    kLoad,  ///< holds one slot of a model it must load: wait `load_time`, then load_done() or abort_load()
  };
  Kind kind = Kind::kRun;
  Nanos load_time{0};
};

/// A request parked in a queue. The scheduler records the grant in `granted` (under the caller's lock, so
/// a cancel() that returns false can read it at once), then the caller fires wake() after unlocking.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void wake(const Grant& grant) = 0;
  std::optional<Grant> granted;
  /// When the request got a resident runner of its model to wait on (set under the same lock). Ollama's
  /// load_duration ends here: a later wait for one of that runner's parallel slots happens inside the
  /// runner call and shows only in total_duration. Unset for a request granted a load.
  std::optional<TimePoint> runner_at;
  /// Set when the request waits in a resident runner's slot queue (a slot wait, not a load wait).
  bool slot_queued = false;
};

struct Wake {
  std::shared_ptr<Waiter> waiter;
  Grant grant;
};
using Wakes = std::vector<Wake>;

struct SchedulerConfig {
  std::uint64_t vram = 24'000'000'000;
  int num_parallel = 4;
  int max_queue = 512;
  int max_loaded = 3;
  double load_gbps = 2.0;
  Nanos default_keep_alive = std::chrono::minutes(5);  ///< negative = forever
  /// Ollama counts only requests that need a load against OLLAMA_MAX_QUEUE (a hot model's slot queue is
  /// unbounded, ollama/ollama#7758). Off by default: every waiting request counts, which makes the 503
  /// reachable in tests and demos.
  bool hot_queue_unbounded = false;
  /// The prompt cache every loaded model gets (--cache-ram, --kv-per-token); its slots follow the model's
  /// parallelism. A model's cache lives and dies with its runner: an unload or eviction drops it.
  std::uint64_t cache_ram = std::uint64_t{8} << 30;
  std::uint64_t kv_per_token = std::uint64_t{128} << 10;
};

/// A model as the scheduler needs it: identity key, name to display, bytes of weights, its parallelism
/// (0 = the configured --num-parallel; embedding models use 1 like Ollama).
struct ModelRef {
  std::string_view key;
  std::string_view display;
  std::uint64_t size = 0;
  int parallel = 0;
};

enum class AdmitStatus {
  kRun,       ///< a slot of the loaded model is held now
  kLoad,      ///< a slot is held and the caller must perform the load (see Grant::kLoad)
  kQueued,    ///< parked; the waiter is woken with a Grant later
  kMustWait,  ///< it would have to wait but no waiter was given: call again with one
  kBusy,      ///< the waiting count is at --max-queue: answer 503
};

struct AdmitResult {
  AdmitStatus status = AdmitStatus::kRun;
  Nanos load_time{0};
};

/// A loaded (or loading) model as /api/ps and /sim/stats show it.
struct RunnerView {
  std::string key;
  std::string display;
  std::uint64_t size = 0;
  std::uint64_t size_vram = 0;
  bool loading = false;
  bool forever = false;       ///< keep-alive negative: never expires
  TimePoint expires_at{};     ///< meaningful when !forever
  int active = 0;
  int queued = 0;
};

struct SchedulerCounters {
  std::uint64_t loads = 0;          ///< completed loads
  std::uint64_t load_aborts = 0;    ///< loads abandoned because their requester left
  std::uint64_t evictions = 0;      ///< idle models unloaded to make room
  std::uint64_t unloads = 0;        ///< models unloaded by keep-alive expiry or keep_alive 0
  std::uint64_t rejected_busy = 0;  ///< 503 answers
};

class Scheduler final {
 public:
  explicit Scheduler(SchedulerConfig config);

  /// Asks for a slot of `model`. `keep_alive` is the request's own value (nullopt = not given; negative =
  /// forever). With a null `waiter`, a request that would have to wait gets kMustWait and nothing changes.
  [[nodiscard]] AdmitResult admit(const ModelRef& model, std::optional<Nanos> keep_alive,
                                  std::shared_ptr<Waiter> waiter, TimePoint now, Wakes& wakes);

  /// Gives back a slot taken by kRun (or by kLoad after load_done()).
  void release(std::string_view key, TimePoint now, Wakes& wakes);

  /// The load granted by kLoad finished: the model is resident and the caller keeps its slot.
  void load_done(std::string_view key, TimePoint now, Wakes& wakes);

  /// The requester of a load left before it finished: the load is abandoned and its memory freed.
  void abort_load(std::string_view key, TimePoint now, Wakes& wakes);

  /// Removes a parked waiter. False when it is no longer queued (it was granted: the grant is on its way
  /// and the caller must honour it, i.e. release or abort the load).
  [[nodiscard]] bool cancel(const Waiter* waiter, TimePoint now, Wakes& wakes);

  /// keep_alive 0 with an empty prompt: unload now if idle, else as soon as it goes idle. False when the
  /// model is not loaded.
  bool unload(std::string_view key, TimePoint now, Wakes& wakes);

  /// Unloads idle models whose keep-alive has passed. Returns the next expiry, if any model has one.
  std::optional<TimePoint> expire(TimePoint now, Wakes& wakes);

  /// The earliest keep-alive deadline among idle models.
  [[nodiscard]] std::optional<TimePoint> next_expiry() const;

  [[nodiscard]] std::vector<RunnerView> runners() const;
  /// The prompt cache of a resident model; null while it is loading or not loaded.
  [[nodiscard]] PromptCache* prompt_cache(std::string_view key);
  [[nodiscard]] int active() const { return active_; }
  [[nodiscard]] int waiting() const { return waiting_; }
  [[nodiscard]] std::uint64_t vram_used() const { return vram_used_; }
  [[nodiscard]] bool loading() const { return loading_; }
  [[nodiscard]] const SchedulerCounters& counters() const { return counters_; }
  [[nodiscard]] const SchedulerConfig& config() const { return config_; }

 private:
  struct SlotWaiter {
    std::shared_ptr<Waiter> waiter;
    std::optional<Nanos> keep_alive;
  };
  struct Pending {
    std::shared_ptr<Waiter> waiter;
    std::string key;
    std::string display;
    std::uint64_t size = 0;
    int parallel = 0;
    std::optional<Nanos> keep_alive;
  };
  struct Runner {
    std::string display;
    std::uint64_t size = 0;
    std::uint64_t vram = 0;
    int parallel = 1;
    int active = 0;
    bool loading = false;
    Nanos keep_alive{0};
    TimePoint expires_at{};
    TimePoint last_used{};
    std::deque<SlotWaiter> queue;
    PromptCache cache;
  };
  using Runners = std::map<std::string, Runner, std::less<>>;

  void take_slot(Runner& r, std::optional<Nanos> keep_alive);
  static void grant(Wakes& wakes, std::shared_ptr<Waiter> waiter, Grant g);
  void went_idle(Runners::iterator it, TimePoint now, Wakes& wakes);
  void unload_runner(Runners::iterator it);
  void process_pending(TimePoint now, Wakes& wakes);
  [[nodiscard]] bool make_room(std::uint64_t need);
  /// Creates the loading runner (the caller's slot included); returns how long the load takes.
  Nanos start_load(std::string key, std::string display, std::uint64_t size, int parallel,
                   std::optional<Nanos> keep_alive, TimePoint now);
  [[nodiscard]] Nanos load_time(std::uint64_t size) const;
  [[nodiscard]] bool at_queue_limit() const { return waiting_ >= config_.max_queue; }

  SchedulerConfig config_;
  Runners runners_;
  std::deque<Pending> pending_;
  std::uint64_t vram_used_ = 0;
  bool loading_ = false;
  int active_ = 0;
  int waiting_ = 0;
  SchedulerCounters counters_;
};

}  // namespace corral::sim
