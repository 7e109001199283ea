// `corral sim`: binds, prints the bound address as the first stdout line, serves until SIGINT or
// SIGTERM (exit 0). SIGUSR1 clears the fault plan (the way out of refuse_connections for a client
// that has no open connection left).
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "sim/fault_plan.hpp"
#include "sim/sim_context.hpp"
#include "sim/sim_options.hpp"
#include "sim/sim_server.hpp"
#include "sim/sim_state.hpp"

namespace corral::sim {
namespace {

// "HOST:PORT" or "[v6]:PORT" into an endpoint; host names go through the resolver.
bool parse_listen(const std::string& listen, tcp::endpoint& out) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  unsigned long p = 0;
  try {
    std::size_t used = 0;
    p = std::stoul(port, &used);
    if (used != port.size() || p > 65535) return false;
  } catch (...) {
    return false;
  }
  error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) {
    net::io_context io;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) return false;
    out = results.begin()->endpoint();
    return true;
  }
  out = tcp::endpoint(addr, static_cast<unsigned short>(p));
  return true;
}

std::string format_endpoint(const tcp::endpoint& ep) {
  const auto a = ep.address();
  const std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

int run(const SimOptions& options) {
  tcp::endpoint endpoint;
  if (!parse_listen(options.listen, endpoint)) {
    std::fprintf(stderr, "corral sim: --listen %s: expected HOST:PORT\n", options.listen.c_str());
    return 2;
  }
  if (options.kv_per_token == 0) {
    std::fprintf(stderr, "corral sim: --kv-per-token must be more than 0 bytes\n");
    return 2;
  }
  SimState state(options);
  FaultState faults;
  if (!options.fault_json.empty()) {
    std::string error;
    auto plan = parse_fault_plan(options.fault_json, error);
    if (!plan) {
      std::fprintf(stderr, "corral sim: --fault: %s\n", error.c_str());
      return 2;
    }
    faults.set(std::move(*plan));
  }
  const double prompt_rate =
      options.prompt_tokens_per_second > 0 ? options.prompt_tokens_per_second : 20 * options.tokens_per_second;
  SimContext ctx{options, state, faults, prompt_rate};

  // A single thread lets Asio drop its internal locking.
  net::io_context io(options.threads > 1 ? options.threads : 1);
  std::unique_ptr<SimServer> server;
  try {
    server = std::make_unique<SimServer>(io, ctx, endpoint);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corral sim: cannot listen on %s: %s\n", options.listen.c_str(), e.what());
    return 1;
  }
  std::printf("%s\n", format_endpoint(server->local_endpoint()).c_str());
  std::fflush(stdout);

  net::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&io](const error_code&, int) { io.stop(); });
  net::signal_set clear_signal(io, SIGUSR1);
  std::function<void(const error_code&, int)> on_usr1 = [&](const error_code& ec, int) {
    if (ec) return;
    faults.clear();
    clear_signal.async_wait(on_usr1);
  };
  clear_signal.async_wait(on_usr1);
  std::signal(SIGPIPE, SIG_IGN);

  server->start();
  std::vector<std::thread> extra;
  for (int i = 1; i < options.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  return 0;
}

}  // namespace corral::sim
