#include "app/server.hpp"

#include <csignal>
#include <cstdio>
#include <thread>

#include "auth/gatekeeper.hpp"
#include "admin/scale_loop.hpp"
#include "common/log.hpp"
#include "config/config_loader.hpp"
#include "config/endpoint_address.hpp"
#include "models/model_poller.hpp"
#include "net/client_connection.hpp"
#include "net/listener.hpp"
#include "net/worker.hpp"
#include "observe/access_log.hpp"
#include "gateway/gateway_state.hpp"
#include "gateway/metric_ids.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "routing/model_name.hpp"
#include "shared_state/shared_store.hpp"
#include "upstream/health_checker.hpp"

namespace corral::app {
namespace {

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto address = ep.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(ep.port());
}

// With `redis`, the store that shares rate-limit buckets and session affinity with other replicas; it
// falls back to `local` whenever Redis is away. Not started yet.
std::unique_ptr<shared_state::SharedStore> make_shared_store(const config::Config& c,
                                                             std::shared_ptr<ratelimit::LocalRateLimiter> local) {
  if (!c.redis) return nullptr;
  return std::make_unique<shared_state::SharedStore>(*c.redis, std::move(local));
}

// The `models` rules that name one model (no `*` or `?`), as routing keys: each has a metric label of its
// own from the start, outside the cap of names seen in traffic (which only names the fleet has may take).
std::vector<std::string> configured_model_names(const config::Config& c) {
  std::vector<std::string> out;
  for (const config::ModelRoute& rule : c.models) {
    if (rule.match.find_first_of("*?") != std::string::npos) continue;
    if (auto key = routing::model_key(rule.match)) out.push_back(std::move(*key));
  }
  return out;
}

std::unique_ptr<netio::Listener> make_listener(net::io_context& control, const std::string& listen,
                                               std::vector<netio::Worker*> workers, bool admin,
                                               auth::Gatekeeper& gatekeeper) {
  const auto hp = config::parse_host_port(listen);
  if (!hp) throw std::runtime_error("invalid listen address '" + listen + "'");
  return std::make_unique<netio::Listener>(control, hp->host, hp->port, std::move(workers), admin, gatekeeper);
}

}  // namespace

struct Server::Impl {
  Impl(config::Config c, std::string path, unsigned n) : config(std::move(c)), config_path(std::move(path)),
                                                          threads(n), gw(config) {}

  config::Config config;
  std::string config_path;
  unsigned threads;
  net::io_context control{1};
  gateway::GatewayState gw;
  // The rate-limit buckets and the Redis store live as long as the process (a reload keeps both); the
  // gatekeeper and the proxy (affinity) use the store. Before `workers`: their connections use all
  // three until destroyed.
  std::shared_ptr<ratelimit::LocalRateLimiter> buckets =
      std::make_shared<ratelimit::LocalRateLimiter>(config.rate_limits.max_buckets);
  std::unique_ptr<shared_state::SharedStore> shared = make_shared_store(config, buckets);
  auth::Gatekeeper gatekeeper{buckets, shared.get()};
  std::vector<std::unique_ptr<netio::Worker>> workers;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::unique_ptr<netio::Listener> main_listener;
  std::unique_ptr<netio::Listener> admin_listener;
  upstream::ConnectionPool control_pool;
  std::unique_ptr<upstream::HealthChecker> health;
  std::unique_ptr<models::ModelPoller> poller;
  std::unique_ptr<admin::ScaleLoop> scale;
  net::signal_set signals{control, SIGINT, SIGTERM, SIGHUP};

  std::optional<std::string> reload();
  void tidy_pools();
  net::awaitable<void> signal_loop();
  net::awaitable<void> drain();
  void start_workers();
  void stop_workers();
};

std::optional<std::string> Server::Impl::reload() {
  if (config_path.empty()) return std::string("nothing to reload: no configuration file (quick mode)");
  try {
    config::Config next = config::load_config(config_path);
    if (next.listen != config.listen) log::warn("reload: `listen` changed; it applies after a restart");
    if (next.admin.listen != config.admin.listen) log::warn("reload: `admin.listen` changed; it applies after a restart");
    next.listen = config.listen;
    next.admin.listen = config.admin.listen;
    next.threads = config.threads;
    gw.registry.apply(next);
    tidy_pools();  // a removed backend's idle connections go now, not at the next round
    gatekeeper.reconfigure(next);
    gateway::publish_metric_ids(gw);
    gw.metrics.add_configured_models(configured_model_names(next));
    gw.metrics.record_config_reload(true);
    if (next.access_log.path != config.access_log.path || next.access_log.level != config.access_log.level) {
      log::warn("reload: `access_log` changed; it applies after a restart");
    }
    config = std::move(next);
    log::info("configuration reloaded from {}: {} pools, {} model rules", config_path, config.pools.size(),
              config.models.size());
    return std::nullopt;
  } catch (const std::exception& e) {
    gw.metrics.record_config_reload(false);
    log::warn("reload refused, the current configuration stays: {}", e.what());
    return std::string(e.what());
  }
}

// Every pool is pruned on its own thread (a pooled socket never leaves it); the control pool is this one's.
void Server::Impl::tidy_pools() {
  (void)upstream::tidy_pool(control_pool, *gw.registry.current());
  for (auto& w : workers) {
    netio::Worker* worker = w.get();
    net::post(worker->ioc, [worker] { (void)upstream::tidy_pool(worker->pool, *worker->gw.registry.current()); });
  }
}

net::awaitable<void> Server::Impl::signal_loop() {
  for (;;) {
    auto [ec, signo] = co_await signals.async_wait(use_tuple);
    if (ec) co_return;
    if (signo == SIGHUP) {
      (void)reload();
      continue;
    }
    co_await drain();
    co_return;
  }
}

net::awaitable<void> Server::Impl::drain() {
  const auto timeout = gw.registry.current()->config->timeouts.drain;
  log::info("draining: no new connections; in-flight requests have {} s", std::chrono::duration<double>(timeout).count());
  gw.draining.store(true);
  main_listener->stop();
  if (admin_listener) admin_listener->stop();
  for (auto& w : workers) {
    netio::Worker* worker = w.get();
    net::post(worker->ioc, [worker] {
      const std::vector<netio::ClientConnection*> open(worker->connections.begin(), worker->connections.end());
      for (auto* c : open) c->drain();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  SteadyTimer tick(control);
  while (gw.connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait();
  }
  if (const auto left = gw.connections.load(); left > 0) log::warn("drain timeout: closing {} connections", left);
  health->stop();
  poller->stop();
  scale->stop();
  control_pool.clear();
  error_code ec;
  signals.cancel(ec);
  control.stop();
}

void Server::Impl::start_workers() {
  for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<netio::Worker>(gw));
  for (auto& w : workers) {
    guards.push_back(net::make_work_guard(w->ioc));
    netio::Worker* worker = w.get();
    net::co_spawn(worker->ioc, upstream::tidy_pool_loop(worker->pool, gw.registry), net::detached);
    worker->thread = std::thread([worker] {
      try {
        worker->ioc.run();
      } catch (const std::exception& e) {
        log::error("worker thread stopped by an exception: {}", e.what());
      }
    });
  }
}

void Server::Impl::stop_workers() {
  // The Redis thread first: a request still waiting on it would otherwise be completed into a worker that
  // is already gone (a decision waits at most redis.timeout, so shutdown can race one).
  if (shared) shared->stop();
  for (auto& w : workers) w->ioc.stop();
  for (auto& w : workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  for (auto& w : workers) w->pool.clear();
  guards.clear();
}

Server::Server(config::Config config, std::string config_path, unsigned threads)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path), threads)) {}

Server::~Server() {
  if (impl_) impl_->stop_workers();
}

int Server::run() {
  Impl& s = *impl_;
  s.gw.control = s.control.get_executor();
  s.gw.admin_listener = !s.config.admin.listen.empty();
  s.gw.access_log = std::make_unique<observe::AccessLog>(s.config.access_log);
  gateway::publish_metric_ids(s.gw);
  s.gw.metrics.add_configured_models(configured_model_names(s.config));
  if (!s.config_path.empty()) s.gw.reload = [&s] { return s.reload(); };
  s.gw.shared = s.shared.get();  // before the workers start, so they see it
  s.start_workers();
  std::vector<netio::Worker*> workers;
  for (auto& w : s.workers) workers.push_back(w.get());
  s.main_listener = make_listener(s.control, s.config.listen, workers, false, s.gatekeeper);
  if (!s.config.admin.listen.empty()) {
    s.admin_listener = make_listener(s.control, s.config.admin.listen, workers, true, s.gatekeeper);
  }
  if (s.shared) s.shared->start();
  net::co_spawn(s.control, s.gatekeeper.sweep_loop(), net::detached);

  std::printf("%s\n", endpoint_text(s.main_listener->local_endpoint()).c_str());
  if (s.admin_listener) std::printf("admin %s\n", endpoint_text(s.admin_listener->local_endpoint()).c_str());
  std::fflush(stdout);

  std::size_t backends = 0;
  for (const auto& p : s.config.pools) backends += p.backends.size();
  log::info("corral {} serving on {} ({} worker threads, {} pools, {} backends, config {})", CORRAL_VERSION,
            endpoint_text(s.main_listener->local_endpoint()), s.threads, s.config.pools.size(), backends,
            s.config_path.empty() ? std::string("<quick>") : s.config_path);

  s.health = std::make_unique<upstream::HealthChecker>(s.gw.registry, s.gw.admission, s.control_pool, s.gw.ready);
  s.poller = std::make_unique<models::ModelPoller>(s.gw.registry, s.control_pool, s.gw.models_polled, &s.gw.metrics);
  net::co_spawn(s.control, upstream::tidy_pool_loop(s.control_pool, s.gw.registry), net::detached);
  net::co_spawn(s.control, s.health->run(), net::detached);
  net::co_spawn(s.control, s.health->sweep_ejections(), net::detached);
  net::co_spawn(s.control, s.poller->run(), net::detached);
  s.scale = std::make_unique<admin::ScaleLoop>(s.gw);
  s.gw.scale = [&s] { return s.scale->evaluate(); };
  net::co_spawn(s.control, s.scale->run(), net::detached);
  net::co_spawn(s.control, s.signal_loop(), net::detached);
  s.main_listener->start();
  if (s.admin_listener) s.admin_listener->start();

  s.control.run();
  s.stop_workers();
  log::info("corral stopped");
  return 0;
}

}  // namespace corral::app
