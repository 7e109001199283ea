// corral: a model-aware load-balancing gateway for fleets of Ollama servers.
// This file only parses the command line and hands over to one subcommand.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "agent/agent_options.hpp"
#include "app/hash_key.hpp"
#include "app/serve_options.hpp"
#include "common/units.hpp"
#include "sim/sim_options.hpp"

namespace {

using namespace corral;

// CLI11 validators that reuse Corral's own size and duration grammar.
CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return units::parse_size(s) ? std::string{} : "not a size (e.g. 24GB, 400MiB): " + s;
      },
      "SIZE");
}

CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return units::parse_duration(s) ? std::string{} : "not a duration (e.g. 5m, 30s, -1): " + s;
      },
      "DUR");
}

void add_sim(CLI::App& app, sim::SimOptions& o, std::vector<std::string>& models, std::string& vram,
             std::string& keep_alive) {
  auto* sim = app.add_subcommand("sim", "Run a simulated Ollama server (wire- and time-faithful)");
  sim->add_option("--listen", o.listen, "HOST:PORT to listen on; port 0 picks one and prints it first")
      ->capture_default_str();
  sim->add_option("--model", models, "NAME[=SIZE] of a model present on disk (repeatable), e.g. llama3:8b=4.7GB");
  sim->add_option("--vram", vram, "VRAM budget")->check(size_validator())->capture_default_str();
  sim->add_option("--num-parallel", o.num_parallel, "parallel requests per loaded model (OLLAMA_NUM_PARALLEL)")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  sim->add_option("--max-queue", o.max_queue, "waiting requests before 503 (OLLAMA_MAX_QUEUE)")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  sim->add_option("--max-loaded", o.max_loaded, "models loaded at once (OLLAMA_MAX_LOADED_MODELS)")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  sim->add_option("--load-gbps", o.load_gbps, "load speed in GB/s: load time = size / X")
      ->check(CLI::PositiveNumber)->capture_default_str();
  sim->add_option("--tokens-per-second", o.tokens_per_second, "generation rate per request; 0 = as fast as possible")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  sim->add_option("--keep-alive", keep_alive, "default keep-alive (OLLAMA_KEEP_ALIVE)")
      ->check(duration_validator())->capture_default_str();
  sim->add_option("--threads", o.threads, "I/O threads")->check(CLI::Range(1, 256))->capture_default_str();
  sim->add_option("--seed", o.seed, "seed of the deterministic pseudo-text")->capture_default_str();
  sim->add_option("--prompt-tokens-per-second", o.prompt_tokens_per_second,
                  "prompt evaluation rate; 0 = 20 x --tokens-per-second")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  sim->add_flag("--hot-queue-unbounded", o.hot_queue_unbounded,
                "like Ollama: only requests that need a model load count against --max-queue");
  sim->add_option("--fault", o.fault_json, "fault plan (JSON, as POST /sim/fault) active from the start");
  sim->add_option_function<std::string>(
         "--cache-ram", [&o](const std::string& s) { o.cache_ram = *units::parse_size(s); },
         "host prompt cache per loaded model (llama-server's, Ollama >= 0.30), counted at --kv-per-token a cached "
         "token, least recently used dropped first; 0 = only each slot's last prompt (Ollama <= 0.29)")
      ->check(size_validator())->default_str("8GiB");
  sim->add_option_function<std::string>(
         "--kv-per-token", [&o](const std::string& s) { o.kv_per_token = *units::parse_size(s); },
         "KV-cache bytes of one token, what a cached token costs against --cache-ram")
      ->check(size_validator())->default_str("128KiB");
}

// `corral agent`: the GPU agent that runs beside each Ollama worker (src/agent/).
CLI::App* add_agent(CLI::App& app, agent::AgentOptions& o) {
  auto* a = app.add_subcommand("agent", "Export this worker's GPU VRAM and utilisation (NVML) for Prometheus and the gateway");
  a->add_option("--listen", o.listen, "HOST:PORT to listen on; port 0 picks one and prints it first")
      ->capture_default_str();
  a->add_option("--ollama", o.ollama_url, "URL of the local Ollama, e.g. http://127.0.0.1:11434 (loaded models)");
  a->add_option("--nvml-lib", o.nvml_lib, "path of libnvidia-ml.so.1 to dlopen")->capture_default_str();
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Corral: a model-aware load-balancing gateway for fleets of Ollama servers", "corral"};
  app.set_version_flag("-V,--version", std::string("corral ") + CORRAL_VERSION);
  app.require_subcommand(1);

  sim::SimOptions sim_opts;
  std::vector<std::string> sim_models;
  std::string sim_vram = "24GB";
  std::string sim_keep_alive = "5m";
  add_sim(app, sim_opts, sim_models, sim_vram, sim_keep_alive);

  app::ServeOptions serve_opts;
  auto* serve = app.add_subcommand("serve", "Run the gateway");
  serve->add_option("-c,--config", serve_opts.config_path, "configuration file (YAML)")->check(CLI::ExistingFile);
  serve->add_option("--listen", serve_opts.listen, "quick mode: HOST:PORT to listen on");
  serve->add_option("--backend", serve_opts.backends, "quick mode: worker URL (repeatable), e.g. http://127.0.0.1:11434");
  serve->add_option("--threads", serve_opts.threads, "worker threads (default: configuration, else cores)")
      ->check(CLI::Range(1, 256));

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "Validate a configuration file and exit (1 when invalid)");
  check->add_option("-c,--config", check_path, "configuration file (YAML)")->required();

  agent::AgentOptions agent_opts;
  auto* agent_cmd = add_agent(app, agent_opts);

  std::string key;
  auto* hash_key = app.add_subcommand("hash-key", "Print the SHA-256 digest of an API key for the configuration");
  hash_key->add_option("key", key, "the key; read from stdin when absent");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*app.get_subcommand("sim")) {
    for (const auto& m : sim_models) {
      sim::ModelSpec spec;
      const auto eq = m.find('=');
      spec.name = m.substr(0, eq);
      if (eq != std::string::npos) {
        auto size = units::parse_size(m.substr(eq + 1));
        if (!size) {
          std::fprintf(stderr, "corral sim: --model %s: not a size after '='\n", m.c_str());
          return 2;
        }
        spec.size = *size;
      }
      if (spec.name.empty()) {
        std::fprintf(stderr, "corral sim: --model needs a name\n");
        return 2;
      }
      sim_opts.models.push_back(spec);
    }
    sim_opts.vram = *units::parse_size(sim_vram);
    sim_opts.keep_alive = *units::parse_duration(sim_keep_alive);
    return sim::run(sim_opts);
  }
  if (*serve) {
    if (serve_opts.config_path.empty() && (serve_opts.listen.empty() || serve_opts.backends.empty())) {
      std::fprintf(stderr, "corral serve: give -c FILE, or --listen HOST:PORT with at least one --backend URL\n");
      return 2;
    }
    return app::run_serve(serve_opts);
  }
  if (*check) return app::check_config(check_path);
  if (*agent_cmd) return agent::run(agent_opts);
  if (*hash_key) {
    if (key.empty() && !std::getline(std::cin, key)) {
      std::fprintf(stderr, "corral hash-key: no key given\n");
      return 2;
    }
    std::printf("%s\n", app::sha256_hex(key).c_str());
    return 0;
  }
  return 0;
}
