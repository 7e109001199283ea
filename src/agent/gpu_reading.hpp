// What the agent reads from one GPU at one moment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corral::agent {

struct GpuReading {
  unsigned index = 0;
  std::string name;
  std::uint64_t vram_total_bytes = 0;
  std::uint64_t vram_used_bytes = 0;
  std::uint64_t vram_free_bytes = 0;
  std::optional<unsigned> utilization_pct;         // absent where NVML does not support it
  std::optional<unsigned> memory_utilization_pct;  // ditto
};

}  // namespace corral::agent
