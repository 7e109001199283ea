// Test helper: gateways in front of simulators. Quick mode (`serve --backend`), a model_aware pool config
// with per-backend VRAM and num_parallel, readiness, fleet-wide /sim/stats sums, concurrent clients, and
// Fleet: a set of sims with one gateway over them. Counts and states only, never elapsed time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/sim.hpp"

namespace corral::testing {

/// `corral serve` in quick mode in front of `backends`.
[[nodiscard]] Server start_quick(const std::vector<const Server*>& backends, int threads = 2);

/// Waits until the gateway's /readyz says ready (health checked, model inventory read).
[[nodiscard]] bool wait_ready(const Server& gw);

struct FleetBackend {
  const Server* sim;
  std::string vram;        ///< "" = not configured
  int num_parallel = 1;
};

/// A serve config file: one model_aware pool "gpu" over `backends`, model polling every `poll` (fast by
/// default; a long one keeps the inventory at what the first round read plus what the gateway itself
/// changed), plus `extra` YAML (models rules, placement keys, an admin listener) appended as written.
/// Returns the file's path.
[[nodiscard]] std::string fleet_config(const std::vector<FleetBackend>& backends, const std::string& extra = {},
                                       const std::string& poll = "100ms");

/// The sum of an integer /sim/stats counter over `sims`.
[[nodiscard]] std::int64_t fleet_stat(const std::vector<const Server*>& sims, const char* key);

/// How many of `sims` list `model` as loaded (display name, e.g. "m:latest").
[[nodiscard]] int replicas_of(const std::vector<const Server*>& sims, const std::string& model);

/// Sends `n` /api/generate requests for `model` at once (one client thread each); returns how many got 200.
[[nodiscard]] int concurrent_generate(const Server& gw, const std::string& model, int n, int tokens = 3);

/// Simulators (one per entry of `models`, each a list of NAME=SIZE, all with `sim_flags`) and, once
/// serve() ran, one gateway in front of them. A backend's name in the gateway is its sim's address.
class Fleet {
 public:
  explicit Fleet(const std::vector<std::vector<std::string>>& models, const std::vector<std::string>& sim_flags = {});

  /// Starts `corral serve -c config_path` (e.g. a fleet_config() or write_temp() file); with
  /// `admin_listener`, reads the admin listener's address into `admin`. Replaces a gateway started before.
  Server& serve(const std::string& config_path, bool admin_listener = false);
  /// Starts quick mode (`serve --backend ...`) over every sim.
  Server& serve_quick(int threads = 2);

  /// Every sim as a fleet_config backend with `vram` and `num_parallel`.
  [[nodiscard]] std::vector<FleetBackend> backends(const std::string& vram = {}, int num_parallel = 1) const;
  [[nodiscard]] std::vector<const Server*> members() const;
  /// fleet_stat / replicas_of over every sim.
  [[nodiscard]] std::int64_t stat(const char* key) const { return fleet_stat(members(), key); }
  [[nodiscard]] int replicas_of(const std::string& model) const { return testing::replicas_of(members(), model); }

  std::vector<Server> sims;
  std::optional<Server> gw;
  std::string admin;  ///< "" without an admin listener
};

}  // namespace corral::testing
