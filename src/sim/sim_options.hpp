// The command line of `corral sim`, a simulated Ollama server. This is a contract used by
// scripts outside the repository: flag names and defaults must not change.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace corral::sim {

/// A model present "on disk" (listed by /api/tags), e.g. `llama3:8b=4.7GB`.
struct ModelSpec {
  std::string name;                 ///< as given; the simulator normalises it like Ollama
  std::uint64_t size = 4'000'000'000;  ///< bytes of weights, also the VRAM it takes when loaded
};

struct SimOptions {
  std::string listen = "127.0.0.1:11434";  ///< HOST:PORT; port 0 binds an ephemeral port
  std::vector<ModelSpec> models;            ///< --model NAME[=SIZE], repeatable
  std::uint64_t vram = 24'000'000'000;      ///< --vram, default 24GB
  int num_parallel = 4;                     ///< --num-parallel (OLLAMA_NUM_PARALLEL)
  int max_queue = 512;                      ///< --max-queue (OLLAMA_MAX_QUEUE)
  int max_loaded = 3;                       ///< --max-loaded (OLLAMA_MAX_LOADED_MODELS)
  double load_gbps = 2.0;                   ///< --load-gbps: load time = size / (X GB/s)
  double tokens_per_second = 50;            ///< --tokens-per-second, 0 = as fast as possible
  std::chrono::nanoseconds keep_alive = std::chrono::minutes(5);  ///< --keep-alive
  int threads = 1;                          ///< --threads
  std::uint64_t seed = 0;                   ///< --seed for the pseudo-text
  /// --prompt-tokens-per-second: prompt evaluation rate; 0 = 20 x tokens_per_second.
  double prompt_tokens_per_second = 0;
  /// --hot-queue-unbounded: like Ollama, only requests that need a load count against --max-queue.
  bool hot_queue_unbounded = false;
  std::string fault_json;                   ///< --fault JSON: a fault plan active from the start
  /// --cache-ram: host-memory prompt cache per loaded model (llama-server's, Ollama >= 0.30); 0 = only
  /// the slots' own caches, as Ollama <= 0.29.
  std::uint64_t cache_ram = std::uint64_t{8} << 30;
  /// --kv-per-token: notional KV-cache bytes of one token, what a cached token costs against --cache-ram.
  std::uint64_t kv_per_token = std::uint64_t{128} << 10;
};

/// Runs the simulator until SIGINT/SIGTERM or a fault that exits. Prints the bound address
/// ("listening on HOST:PORT" is not enough: the first stdout line is exactly "HOST:PORT").
/// Returns the process exit code.
int run(const SimOptions& options);

}  // namespace corral::sim
