// AgentReport: one reading of the worker (GPUs from NVML, optionally the local Ollama) and its
// two renderings: Prometheus text for /metrics and the JSON of /agent/api/gpus that the
// gateway polls for a worker's VRAM capacity and use (schema in docs/observability.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/gpu_reading.hpp"
#include "agent/ollama_ps.hpp"

namespace corral::agent {

struct AgentReport {
  bool nvml_ok = false;
  std::string nvml_error;  // when !nvml_ok
  std::vector<GpuReading> gpus;
  std::optional<OllamaState> ollama;  // absent without --ollama
  long long time_unix_ms = 0;
};

std::string render_metrics(const AgentReport& r);
std::string render_json(const AgentReport& r);

}  // namespace corral::agent
