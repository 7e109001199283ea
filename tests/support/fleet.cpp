#include "support/fleet.hpp"

#include <atomic>
#include <thread>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/text_file.hpp"

namespace corral::testing {

Server start_quick(const std::vector<const Server*>& backends, int threads) {
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--threads", std::to_string(threads)};
  for (const auto* b : backends) {
    args.emplace_back("--backend");
    args.push_back(b->url());
  }
  return Server(std::move(args));
}

bool wait_ready(const Server& gw) {
  return poll_until([&] { return http_get(gw.address, "/readyz").status == 200; });
}

std::string fleet_config(const std::vector<FleetBackend>& backends, const std::string& extra, const std::string& poll) {
  std::string y = "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: " + poll + "\n"
                  "pools:\n  - name: gpu\n    policy: model_aware\n    backends:\n";
  for (const auto& b : backends) {
    y += "      - url: " + b.sim->url() + "\n        num_parallel: " + std::to_string(b.num_parallel) + "\n";
    if (!b.vram.empty()) y += "        vram: " + b.vram + "\n";
  }
  return write_temp(y + extra);
}

std::int64_t fleet_stat(const std::vector<const Server*>& sims, const char* key) {
  std::int64_t n = 0;
  for (const auto* s : sims) n += stat(*s, key);
  return n;
}

int replicas_of(const std::vector<const Server*>& sims, const std::string& model) {
  int n = 0;
  for (const auto* s : sims) {
    const boost::json::object stats = sim_stats(*s);  // named: a range-for over a temporary's member dangles
    for (const auto& v : stats.at("loaded").as_array()) n += v.as_string() == model ? 1 : 0;
  }
  return n;
}

int concurrent_generate(const Server& gw, const std::string& model, int n, int tokens) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < n; ++i) {
    clients.emplace_back([&] {
      try {
        if (http_post(gw.address, "/api/generate", generate_body(model, tokens)).status == 200) ++ok;
      } catch (...) {
      }
    });
  }
  for (auto& t : clients) t.join();
  return ok.load();
}

Fleet::Fleet(const std::vector<std::vector<std::string>>& models, const std::vector<std::string>& sim_flags) {
  sims.reserve(models.size());
  for (const auto& m : models) sims.push_back(start_sim(m, sim_flags));
}

Server& Fleet::serve(const std::string& config_path, bool admin_listener) {
  gw.reset();
  admin.clear();
  gw.emplace(std::vector<std::string>{"serve", "-c", config_path});
  if (admin_listener) admin = gw->admin_address();
  return *gw;
}

Server& Fleet::serve_quick(int threads) {
  gw.reset();
  admin.clear();
  gw.emplace(start_quick(members(), threads));
  return *gw;
}

std::vector<FleetBackend> Fleet::backends(const std::string& vram, int num_parallel) const {
  std::vector<FleetBackend> out;
  for (const auto& s : sims) out.push_back({&s, vram, num_parallel});
  return out;
}

std::vector<const Server*> Fleet::members() const {
  std::vector<const Server*> out;
  for (const auto& s : sims) out.push_back(&s);
  return out;
}

}  // namespace corral::testing
