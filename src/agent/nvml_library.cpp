#include "agent/nvml_library.hpp"

#include <dlfcn.h>

namespace corral::agent {

namespace {

template <class Fn>
bool bind(void* handle, const char* symbol, Fn& out, std::string& missing) {
  out = reinterpret_cast<Fn>(dlsym(handle, symbol));
  if (!out) missing += missing.empty() ? symbol : std::string(", ") + symbol;
  return out != nullptr;
}

}  // namespace

std::variant<std::unique_ptr<NvmlLibrary>, std::string> NvmlLibrary::open(const std::string& path) {
  std::unique_ptr<NvmlLibrary> lib(new NvmlLibrary());
  lib->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle_) {
    const char* why = dlerror();
    return "cannot load NVML from '" + path + "' (" + (why ? why : "unknown dlopen error") +
           "); is the NVIDIA driver installed? Point --nvml-lib at libnvidia-ml.so.1";
  }
  std::string missing;
  bind(lib->handle_, "nvmlInit_v2", lib->init_, missing);
  bind(lib->handle_, "nvmlShutdown", lib->shutdown_, missing);
  bind(lib->handle_, "nvmlDeviceGetCount_v2", lib->get_count_, missing);
  bind(lib->handle_, "nvmlDeviceGetHandleByIndex_v2", lib->get_handle_, missing);
  bind(lib->handle_, "nvmlDeviceGetMemoryInfo", lib->get_memory_, missing);
  bind(lib->handle_, "nvmlDeviceGetUtilizationRates", lib->get_utilization_, missing);
  bind(lib->handle_, "nvmlDeviceGetName", lib->get_name_, missing);
  if (!missing.empty()) return "'" + path + "' is not a usable NVML library: missing " + missing;
  lib->error_string_ = reinterpret_cast<nvmlErrorString_fn>(dlsym(lib->handle_, "nvmlErrorString"));
  if (const auto rc = lib->init_(); rc != NVML_SUCCESS) {
    return "nvmlInit_v2 failed: " + lib->error_text(rc);
  }
  lib->initialised_ = true;
  return lib;
}

NvmlLibrary::~NvmlLibrary() {
  if (initialised_) shutdown_();
  if (handle_) dlclose(handle_);
}

std::string NvmlLibrary::error_text(nvmlReturn_t rc) const {
  const char* s = error_string_ ? error_string_(rc) : nullptr;
  return std::string(s ? s : "NVML error") + " (" + std::to_string(rc) + ")";
}

std::variant<std::vector<GpuReading>, std::string> NvmlLibrary::read() const {
  unsigned count = 0;
  if (const auto rc = get_count_(&count); rc != NVML_SUCCESS) return "nvmlDeviceGetCount_v2: " + error_text(rc);
  std::vector<GpuReading> gpus;
  gpus.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    if (const auto rc = get_handle_(i, &dev); rc != NVML_SUCCESS) {
      return "nvmlDeviceGetHandleByIndex_v2(" + std::to_string(i) + "): " + error_text(rc);
    }
    GpuReading g;
    g.index = i;
    nvmlMemory_t mem{};
    if (const auto rc = get_memory_(dev, &mem); rc != NVML_SUCCESS) {
      return "nvmlDeviceGetMemoryInfo(" + std::to_string(i) + "): " + error_text(rc);
    }
    g.vram_total_bytes = mem.total;
    g.vram_used_bytes = mem.used;
    g.vram_free_bytes = mem.free;
    nvmlUtilization_t util{};
    if (get_utilization_(dev, &util) == NVML_SUCCESS) {
      g.utilization_pct = util.gpu;
      g.memory_utilization_pct = util.memory;
    }
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {};
    if (get_name_(dev, name, sizeof name) == NVML_SUCCESS) {
      name[sizeof name - 1] = '\0';
      g.name = name;
    }
    gpus.push_back(std::move(g));
  }
  return gpus;
}

}  // namespace corral::agent
