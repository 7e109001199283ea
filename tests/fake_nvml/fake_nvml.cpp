// A fake libnvidia-ml.so.1 for tests: the NVML symbols `corral agent` uses, with values read
// from the file named by $FAKE_NVML_CONFIG on every call, so a test changes the file and the
// next scrape sees new values. Format, one directive per line ('#' starts a comment):
//   gpu total=24000000000 used=1000000000 util=35 memutil=10 name=NVIDIA A10G
//   init_error=9          (nvmlInit_v2 returns this code; 9 = driver not loaded)
// `name=` takes the rest of the line. A missing or unreadable file means zero GPUs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../../src/agent/nvml_abi.hpp"

namespace {

struct FakeGpu {
  unsigned long long total = 0;
  unsigned long long used = 0;
  int util = -1;  // -1: "not supported"
  unsigned memutil = 0;
  std::string name = "Fake GPU";
};

struct FakeConfig {
  std::vector<FakeGpu> gpus;
  int init_error = 0;
};

FakeConfig load() {
  FakeConfig c;
  const char* path = std::getenv("FAKE_NVML_CONFIG");
  if (!path) return c;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string first;
    if (!(words >> first)) continue;
    if (first.rfind("init_error=", 0) == 0) {
      c.init_error = std::atoi(first.c_str() + 11);
      continue;
    }
    if (first != "gpu") continue;
    FakeGpu g;
    std::string kv;
    while (words >> kv) {
      const auto eq = kv.find('=');
      const std::string key = kv.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (key == "name") {
        std::string rest;
        std::getline(words, rest);
        g.name = value + rest;
        break;
      }
      if (key == "total") g.total = std::strtoull(value.c_str(), nullptr, 10);
      if (key == "used") g.used = std::strtoull(value.c_str(), nullptr, 10);
      if (key == "util") g.util = std::atoi(value.c_str());
      if (key == "memutil") g.memutil = static_cast<unsigned>(std::atoi(value.c_str()));
    }
    c.gpus.push_back(g);
  }
  return c;
}

int initialised = 0;

// Handles encode index + 1, so a null handle is always invalid.
nvmlDevice_t handle_of(unsigned i) { return reinterpret_cast<nvmlDevice_t>(static_cast<std::uintptr_t>(i) + 1); }
bool index_of(nvmlDevice_t d, FakeGpu& out) {
  const auto i = reinterpret_cast<std::uintptr_t>(d);
  const auto c = load();
  if (i == 0 || i > c.gpus.size()) return false;
  out = c.gpus[i - 1];
  return true;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) nvmlReturn_t nvmlInit_v2(void) {
  const auto c = load();
  if (c.init_error) return c.init_error;
  ++initialised;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlShutdown(void) {
  if (initialised == 0) return NVML_ERROR_UNINITIALIZED;
  --initialised;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) const char* nvmlErrorString(nvmlReturn_t rc) {
  switch (rc) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  if (!initialised) return NVML_ERROR_UNINITIALIZED;
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  *count = static_cast<unsigned>(load().gpus.size());
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t* d) {
  if (!initialised) return NVML_ERROR_UNINITIALIZED;
  if (!d || i >= load().gpus.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *d = handle_of(i);
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t* m) {
  FakeGpu g;
  if (!initialised) return NVML_ERROR_UNINITIALIZED;
  if (!m || !index_of(d, g)) return NVML_ERROR_INVALID_ARGUMENT;
  m->total = g.total;
  m->used = g.used;
  m->free = g.total > g.used ? g.total - g.used : 0;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t* u) {
  FakeGpu g;
  if (!initialised) return NVML_ERROR_UNINITIALIZED;
  if (!u || !index_of(d, g)) return NVML_ERROR_INVALID_ARGUMENT;
  if (g.util < 0) return NVML_ERROR_NOT_SUPPORTED;
  u->gpu = static_cast<unsigned>(g.util);
  u->memory = g.memutil;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char* name, unsigned int length) {
  FakeGpu g;
  if (!initialised) return NVML_ERROR_UNINITIALIZED;
  if (!name || length == 0 || !index_of(d, g)) return NVML_ERROR_INVALID_ARGUMENT;
  std::snprintf(name, length, "%s", g.name.c_str());
  return NVML_SUCCESS;
}

}  // extern "C"
