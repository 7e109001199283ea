// NvmlLibrary: libnvidia-ml loaded with dlopen at run time, initialised once, read on demand.
// No build-time dependency on NVIDIA's headers or libraries: a machine without a driver gets a
// clear error from open() instead of a binary that will not start.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "agent/gpu_reading.hpp"
#include "agent/nvml_abi.hpp"

namespace corral::agent {

class NvmlLibrary {
 public:
  /// dlopen(path) and nvmlInit_v2(). On failure returns the reason, worded for an operator.
  static std::variant<std::unique_ptr<NvmlLibrary>, std::string> open(const std::string& path);
  ~NvmlLibrary();  // nvmlShutdown + dlclose
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  /// Every GPU's memory, utilisation and name; an error string if the count or a device read
  /// fails (utilisation "not supported" is not an error: the field is left empty).
  std::variant<std::vector<GpuReading>, std::string> read() const;

 private:
  NvmlLibrary() = default;
  std::string error_text(nvmlReturn_t rc) const;

  void* handle_ = nullptr;
  bool initialised_ = false;
  nvmlInit_v2_fn init_ = nullptr;
  nvmlShutdown_fn shutdown_ = nullptr;
  nvmlErrorString_fn error_string_ = nullptr;  // optional
  nvmlDeviceGetCount_v2_fn get_count_ = nullptr;
  nvmlDeviceGetHandleByIndex_v2_fn get_handle_ = nullptr;
  nvmlDeviceGetMemoryInfo_fn get_memory_ = nullptr;
  nvmlDeviceGetUtilizationRates_fn get_utilization_ = nullptr;
  nvmlDeviceGetName_fn get_name_ = nullptr;
};

}  // namespace corral::agent
