#include "net/listener.hpp"

#include "common/log.hpp"
#include "net/client_connection.hpp"
#include "tls/tls_terminator.hpp"

namespace corral::netio {
namespace {

const config::TlsConfig& tls_of(const config::Config& c, bool admin) { return admin ? c.admin.tls : c.tls; }

void log_escaped(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::error("TLS connection ended by an unexpected exception: {}", ex.what());
  }
}

}  // namespace

Listener::Listener(net::io_context& control, const std::string& host, std::uint16_t port,
                   std::vector<Worker*> workers, bool admin, auth::Gatekeeper& gatekeeper)
    : acceptor_(control), workers_(std::move(workers)), admin_(admin), gatekeeper_(gatekeeper) {
  // Built now so a bad certificate stops the start instead of failing every handshake.
  const auto config = workers_.front()->gw.registry.current()->config;
  if (const auto& t = tls_of(*config, admin_); t.enabled()) {
    tls_context_ = tls::make_server_context(t);
    tls_built_for_ = config;
  }
  const auto address = host.empty() ? net::ip::address(net::ip::address_v4::any()) : net::ip::make_address(host);
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

tcp::endpoint Listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void Listener::start() { net::co_spawn(acceptor_.get_executor(), accept_loop(), net::detached); }

void Listener::stop() {
  error_code ec;
  acceptor_.close(ec);
}

std::shared_ptr<tls::SslContext> Listener::tls_context(const std::shared_ptr<const config::Config>& config) {
  const config::TlsConfig& t = tls_of(*config, admin_);
  if (!t.enabled()) return nullptr;
  if (config != tls_built_for_) {
    tls_built_for_ = config;
    try {
      tls_context_ = tls::make_server_context(t);
      log::info("{} listener: TLS certificate loaded from {}", admin_ ? "admin" : "public", t.cert_file);
    } catch (const std::exception& e) {
      log::warn("{} listener: keeping the previous TLS certificate: {}", admin_ ? "admin" : "public", e.what());
    }
  }
  return tls_context_;
}

void Listener::hand_over(tcp::socket socket, Worker& worker) {
  error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  const auto config = worker.gw.registry.current()->config;
  auto ticket = limiter_->try_open(common::normalize(peer.address()).to_string(), config->limits.max_connections,
                                   config->limits.max_connections_per_ip);
  if (!ticket) {
    socket.close(ec);
    return;
  }
  ConnectionOrigin origin{admin_, &gatekeeper_, peer.address(), std::move(ticket)};
  auto context = tls_context(config);
  if (!context) {
    start_connection(std::move(socket), worker, std::move(origin));
    return;
  }
  origin.tls = true;
  // std::function needs a copyable target: the origin (which owns the ticket) travels in a shared_ptr.
  auto held = std::make_shared<ConnectionOrigin>(std::move(origin));
  Worker* w = &worker;
  auto serve = [w, held](tcp::socket plain) { start_connection(std::move(plain), *w, std::move(*held)); };
  net::co_spawn(worker.ioc,
                tls::terminate(std::move(socket), std::move(context), config->timeouts.client_header, serve),
                log_escaped);
}

net::awaitable<void> Listener::accept_loop() {
  SteadyTimer backoff(acceptor_.get_executor());
  while (acceptor_.is_open()) {
    Worker& worker = *workers_[next_];
    next_ = (next_ + 1) % workers_.size();
    auto [ec, socket] = co_await acceptor_.async_accept(net::any_io_executor(worker.ioc.get_executor()));
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: pause instead of spinning; the pending connection stays in the backlog.
      log::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait();
      continue;
    }
    hand_over(std::move(socket), worker);
  }
}

}  // namespace corral::netio
