// Faults the simulator injects on demand (POST /sim/fault, --fault): refuse connections, answer
// inference with an error status, stall or cut a stream after N chunks, slow the health endpoints, or
// exit like a crash. FaultPlan is the parsed JSON (schema in docs/simulator.md); FaultState holds the
// active plan for all threads and hands each inference request the part that applies to it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace corral::sim {

struct FaultPlan {
  bool refuse_connections = false;        ///< close every new connection right after accept
  int error_status = 0;                   ///< answer inference requests with this status (400..599)
  std::string error_message;              ///< its {"error":...} text; a default per status when empty
  int stall_after_chunks = -1;            ///< streaming: after this many chunks, send nothing for stall_for
  std::chrono::nanoseconds stall_for{0};
  int close_after_chunks = -1;            ///< streaming: close the connection after this many chunks
  std::chrono::nanoseconds health_delay{0};  ///< delay before answering /, /api/version, /api/tags, /api/ps
  bool exit = false;                      ///< exit(1) at once
  std::int64_t requests = -1;             ///< inference requests the per-request faults hit; -1 = all
  std::chrono::nanoseconds duration{0};   ///< the plan clears itself after this long; 0 = until cleared

  [[nodiscard]] bool affects_requests() const {
    return error_status != 0 || stall_after_chunks >= 0 || close_after_chunks >= 0;
  }
};

/// Parses a fault plan. Unknown keys and wrong types are errors (message in `error`).
[[nodiscard]] std::optional<FaultPlan> parse_fault_plan(std::string_view json, std::string& error);

/// The plan as JSON (what POST and GET /sim/fault answer).
[[nodiscard]] std::string fault_plan_json(const FaultPlan& plan);

/// The faults one inference request must act on.
struct RequestFaults {
  int error_status = 0;
  std::string error_message;
  int stall_after_chunks = -1;
  std::chrono::nanoseconds stall_for{0};
  int close_after_chunks = -1;
};

class FaultState final {
 public:
  void set(FaultPlan plan);
  void clear();

  /// Cheap check for the hot path: false when no plan is active.
  [[nodiscard]] bool any() const { return active_.load(std::memory_order_acquire); }
  [[nodiscard]] bool refuse_connections();
  [[nodiscard]] std::chrono::nanoseconds health_delay();
  /// The per-request faults for one inference request, consuming one unit of `requests`.
  [[nodiscard]] std::optional<RequestFaults> take_for_request();
  [[nodiscard]] FaultPlan current();

 private:
  [[nodiscard]] bool live_locked();  // drops an expired plan

  std::atomic<bool> active_{false};
  std::mutex mu_;
  std::optional<FaultPlan> plan_;
  std::chrono::steady_clock::time_point until_{};
};

}  // namespace corral::sim
