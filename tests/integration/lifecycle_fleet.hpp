// Shared pieces of the model-lifecycle scenarios (lifecycle_*_test.cpp): a config file for one
// model_aware pool over simulators with per-backend VRAM and num_parallel, fleet-wide /sim/stats sums,
// and concurrent requests from client threads. Counts and states only, never elapsed time.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "integration/gateway_harness.hpp"

namespace corral::gwtest {

struct FleetBackend {
  const Server* sim;
  std::string vram;        ///< "" = not configured
  int num_parallel = 1;
};

/// A serve config: one model_aware pool over `backends`, model polling every `poll` (fast by default; a
/// long one keeps the inventory at what the first round read plus what the gateway itself changed), plus
/// `extra` YAML (models rules, placement keys) appended as written.
inline std::string fleet_config(const std::vector<FleetBackend>& backends, const std::string& extra = {},
                                const std::string& poll = "100ms") {
  std::string y = "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: " + poll + "\n"
                  "pools:\n  - name: gpu\n    policy: model_aware\n    backends:\n";
  for (const auto& b : backends) {
    y += "      - url: " + b.sim->url() + "\n        num_parallel: " + std::to_string(b.num_parallel) + "\n";
    if (!b.vram.empty()) y += "        vram: " + b.vram + "\n";
  }
  return write_temp(y + extra);
}

/// The sum of an integer /sim/stats counter over `sims`.
inline std::int64_t fleet_stat(const std::vector<const Server*>& sims, const char* key) {
  std::int64_t n = 0;
  for (const auto* s : sims) n += stat(*s, key);
  return n;
}

/// How many of `sims` list `model` as loaded (display name, e.g. "m:latest").
inline int replicas_of(const std::vector<const Server*>& sims, const std::string& model) {
  int n = 0;
  for (const auto* s : sims) {
    const boost::json::object stats = sim_stats(*s);  // named: a range-for over a temporary's member dangles
    for (const auto& v : stats.at("loaded").as_array()) n += v.as_string() == model ? 1 : 0;
  }
  return n;
}

/// Sends `n` /api/generate requests for `model` at once (one client thread each); returns how many got 200.
inline int concurrent_generate(const Server& gw, const std::string& model, int n, int tokens = 3) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < n; ++i) {
    clients.emplace_back([&] {
      try {
        if (request(gw.address, "POST", "/api/generate", generate_body(model, tokens)).status == 200) ++ok;
      } catch (...) {
      }
    });
  }
  for (auto& t : clients) t.join();
  return ok.load();
}

/// Whether `sim`'s /api/tags lists `model` (display name, e.g. "m:latest").
inline bool lists_model(const Server& sim, const std::string& model) {
  const boost::json::value tags = parse_json(request(sim.address, "GET", "/api/tags").body);
  for (const auto& m : tags.at("models").as_array()) {
    if (m.at("name").as_string() == model) return true;
  }
  return false;
}

/// The lines of an NDJSON body, each parsed.
inline std::vector<boost::json::object> ndjson_lines(const std::string& body) {
  std::vector<boost::json::object> out;
  std::size_t start = 0;
  for (auto nl = body.find('\n'); nl != std::string::npos; nl = body.find('\n', start)) {
    if (nl > start) out.push_back(parse_json(body.substr(start, nl - start)).as_object());
    start = nl + 1;
  }
  return out;
}

/// Loads `model` on `sim` directly (Ollama's empty-prompt load request).
inline void preload(const Server& sim, const std::string& model) {
  request(sim.address, "POST", "/api/generate", R"({"model":")" + model + R"("})");
}

}  // namespace corral::gwtest
