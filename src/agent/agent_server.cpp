// `corral agent`: a small single-threaded HTTP server over one NVML handle. Every request
// reads NVML afresh (and the local Ollama's /api/ps when configured) so a scrape always sees
// current values; nothing here is a hot path (one scrape every few seconds).
//   GET /metrics          Prometheus text 0.0.4
//   GET /agent/api/gpus   JSON for the gateway (docs/observability.md)
//   GET /healthz          "ok" while NVML reads succeed, 503 otherwise
#include <chrono>
#include <cstdio>

// GCC 12 inlines coroutine ramps at -O1 and above and then flags Asio's recycling frame
// allocator (aligned_alloc paired with its own operator delete) as a mismatch: a known false
// positive of -Wmismatched-new-delete, silenced for this file only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <memory>

#include "agent/agent_options.hpp"
#include "agent/agent_report.hpp"
#include "agent/nvml_library.hpp"
#include "agent/ollama_ps.hpp"
#include "common/asio.hpp"
#include "metrics/prometheus_text.hpp"

namespace corral::agent {

namespace {

struct Shared {
  std::unique_ptr<NvmlLibrary> nvml;
  AgentOptions options;
};

net::awaitable<AgentReport> take_report(std::shared_ptr<const Shared> shared, bool with_ollama) {
  AgentReport r;
  r.time_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto gpus = shared->nvml->read();
  if (auto* ok = std::get_if<std::vector<GpuReading>>(&gpus)) {
    r.nvml_ok = true;
    r.gpus = std::move(*ok);
  } else {
    r.nvml_error = std::get<std::string>(gpus);
  }
  if (with_ollama && !shared->options.ollama_url.empty()) {
    r.ollama = co_await fetch_ollama_ps(shared->options.ollama_url, shared->options.ollama_timeout);
  }
  co_return r;
}

net::awaitable<void> serve_connection(TcpStream stream, std::shared_ptr<const Shared> shared) {
  beast::flat_buffer buf;
  for (;;) {
    stream.expires_after(std::chrono::seconds(60));
    http::request<http::string_body> req;
    auto [rec, rn] = co_await http::async_read(stream, buf, req);
    if (rec) break;  // EOF, timeout or garbage: just close

    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "corral-agent");
    res.keep_alive(req.keep_alive());
    const std::string_view path = std::string_view(req.target()).substr(0, req.target().find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "method not allowed\n";
    } else if (path == "/metrics") {
      const auto report = co_await take_report(shared, true);
      res.set(http::field::content_type, metrics::kPrometheusContentType);
      res.body() = render_metrics(report);
    } else if (path == "/agent/api/gpus") {
      const auto report = co_await take_report(shared, true);
      res.set(http::field::content_type, "application/json");
      res.body() = render_json(report);
    } else if (path == "/healthz") {
      const auto report = co_await take_report(shared, false);
      res.result(report.nvml_ok ? http::status::ok : http::status::service_unavailable);
      res.body() = report.nvml_ok ? "ok\n" : report.nvml_error + "\n";
    } else {
      res.result(http::status::not_found);
      res.body() = "not found: try /metrics, /agent/api/gpus or /healthz\n";
    }
    if (req.method() == http::verb::head) {
      res.content_length(res.body().size());
      res.body().clear();
    }
    res.prepare_payload();
    const bool keep = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res);
    if (wec || !keep) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

net::awaitable<void> accept_loop(TcpAcceptor acceptor, std::shared_ptr<const Shared> shared) {
  auto ex = co_await net::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept();
    if (ec == net::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. EMFILE: try again on the next connection
    net::co_spawn(ex, serve_connection(TcpStream(std::move(socket)), shared), net::detached);
  }
}

bool split_listen(const std::string& s, std::string& host, std::string& port) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  port = s.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return !host.empty() && !port.empty();
}

}  // namespace

int run(const AgentOptions& options) {
  std::string host, port;
  if (!split_listen(options.listen, host, port)) {
    std::fprintf(stderr, "corral agent: --listen wants HOST:PORT, got '%s'\n", options.listen.c_str());
    return 2;
  }
  if (!options.ollama_url.empty() && !parse_http_url(options.ollama_url)) {
    std::fprintf(stderr, "corral agent: --ollama wants http://HOST:PORT, got '%s'\n", options.ollama_url.c_str());
    return 2;
  }
  auto opened = NvmlLibrary::open(options.nvml_lib);
  if (auto* err = std::get_if<std::string>(&opened)) {
    std::fprintf(stderr, "corral agent: %s\n", err->c_str());
    return 1;
  }
  auto shared = std::make_shared<Shared>();
  shared->nvml = std::move(std::get<std::unique_ptr<NvmlLibrary>>(opened));
  shared->options = options;

  net::io_context io(1);
  TcpAcceptor acceptor(io);
  try {
    tcp::resolver resolver(io);
    const auto ep = *resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service).begin();
    acceptor.open(ep.endpoint().protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep.endpoint());
    acceptor.listen();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corral agent: cannot listen on %s: %s\n", options.listen.c_str(), e.what());
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  const auto addr = bound.address();
  std::printf("%s:%u\n", addr.is_v6() ? ("[" + addr.to_string() + "]").c_str() : addr.to_string().c_str(),
              static_cast<unsigned>(bound.port()));
  std::fflush(stdout);

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const error_code&, int) { io.stop(); });
  net::co_spawn(io, accept_loop(std::move(acceptor), std::shared_ptr<const Shared>(shared)), net::detached);
  io.run();
  return 0;
}

}  // namespace corral::agent
