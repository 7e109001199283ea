#include "net/listener.hpp"

#include "common/log.hpp"
#include "net/client_connection.hpp"

namespace corral::netio {

Listener::Listener(net::io_context& control, const std::string& host, std::uint16_t port,
                   std::vector<Worker*> workers, bool admin)
    : acceptor_(control), workers_(std::move(workers)), admin_(admin) {
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
    start_connection(std::move(socket), worker, admin_);
  }
}

}  // namespace corral::netio
