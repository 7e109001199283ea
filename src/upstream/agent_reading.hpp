// What a worker's `corral agent` last said about its GPUs (GET /agent/api/gpus, docs/observability.md),
// summed over the worker's GPUs, and the one place that decides which VRAM numbers Corral believes for a
// backend: the agent's while it answers, else the configured `vram`, else none ("unknown", never guessed).
// The model poller writes the reading on the control thread every models_poll_interval; any thread reads
// it without a lock. Total and used are separate atomics: a reader may pair a total with the previous
// poll's use, which is harmless for a number that moves by whole models.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/config.hpp"

namespace corral::upstream {

class Backend;

/// One agent answer, summed over the worker's GPUs.
struct AgentSample {
  std::uint64_t vram_total = 0;
  std::uint64_t vram_used = 0;
  std::optional<double> gpu_utilization_pct;  ///< mean over the GPUs that report one
};

/// Parses an /agent/api/gpus answer. Nullopt when it is malformed, NVML failed there (`nvml_ok` false) or
/// it lists no GPU memory: such an agent knows nothing about VRAM.
[[nodiscard]] std::optional<AgentSample> parse_agent_report(std::string_view json);

class AgentReading final {
 public:
  /// A good answer: the agent is up with these numbers. Returns true when it was down before.
  bool store(const AgentSample& s);
  /// No (good) answer: readers fall back to the configuration. Returns true when it was up before.
  bool mark_down();
  [[nodiscard]] bool up() const { return up_.load(std::memory_order_acquire); }
  /// The last stored sample (meaningful while up()).
  [[nodiscard]] AgentSample sample() const;

 private:
  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> used_{0};
  std::atomic<std::int64_t> util_milli_{-1};  ///< utilisation in 1/1000 percent; -1 = not reported
};

enum class VramSource { kAgent, kConfig, kUnknown };
/// `agent`, `config`, `unknown` (the status JSON's `vram_source`).
[[nodiscard]] std::string_view to_string(VramSource source);

/// A backend's VRAM as Corral believes it now.
struct VramView {
  VramSource source = VramSource::kUnknown;
  std::optional<std::uint64_t> total;  ///< the agent's total, else the configured `vram`
  /// The agent's measured use; with the configured total, what the models Corral sees loaded or loading
  /// there take (their size_vram, else their size).
  std::optional<std::uint64_t> used;
  std::optional<double> gpu_utilization_pct;  ///< agent only
};

/// `cfg` may be null (a backend not in the current configuration): then only the agent counts.
[[nodiscard]] VramView vram_view(const Backend& b, const config::BackendConfig* cfg);

/// The capacity model placement plans against (placement::WorkerFacts::vram). With a live agent: its total
/// less what the GPU holds besides the models Corral knows of there (other processes, CUDA context), so
/// "total - the known models" is the room the agent really sees. Else the configured `vram`; else nullopt.
[[nodiscard]] std::optional<std::uint64_t> placement_vram(const Backend& b, const config::BackendConfig& cfg);

}  // namespace corral::upstream
