// `corral serve` and `corral check-config`: configuration in, Server out. Configuration errors are
// printed as `file:line:column: message` (the loader's text) and give exit code 1.
#include <cstdio>
#include <thread>

#include "app/serve_options.hpp"
#include "app/server.hpp"
#include "common/log.hpp"
#include "config/config_loader.hpp"

namespace corral::app {

int run_serve(const ServeOptions& options) {
  log::init();
  config::Config config;
  try {
    config = options.config_path.empty()
                 ? config::quick_config(options.listen, options.backends, static_cast<std::uint32_t>(options.threads))
                 : config::load_config(options.config_path);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "corral serve: %s\n", e.what());
    return 1;
  }
  if (!options.config_path.empty() && !options.listen.empty()) config.listen = options.listen;
  if (options.threads > 0) config.threads = static_cast<std::uint32_t>(options.threads);
  const unsigned threads =
      config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  try {
    Server server(std::move(config), options.config_path, threads);
    return server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corral serve: %s\n", e.what());
    return 1;
  }
}

int check_config(const std::string& path) {
  try {
    const config::Config config = config::load_config(path);
    std::size_t backends = 0;
    for (const auto& p : config.pools) backends += p.backends.size();
    std::printf("%s: OK (%zu pools, %zu backends, %zu model rules)\n", path.c_str(), config.pools.size(), backends,
                config.models.size());
    return 0;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}

}  // namespace corral::app
