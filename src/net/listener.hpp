// Accepts client connections on the control thread and hands each socket to the next worker, round
// robin, accepting it straight onto that worker's io_context (style.md section 4, step 1). One acceptor
// rather than SO_REUSEPORT per worker: the kernel's reuseport hashing spreads a few long-lived keep-alive
// connections unevenly over two or four workers, a single acceptor gives the drain one place to stop
// accepting, and accepting costs little next to a request on a keep-alive connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "net/worker.hpp"

namespace corral::netio {

class Listener final {
 public:
  /// Binds and listens at once (throws std::system_error when the address is taken or invalid).
  Listener(net::io_context& control, const std::string& host, std::uint16_t port, std::vector<Worker*> workers,
           bool admin);

  /// The bound address (the real port when 0 was asked for).
  [[nodiscard]] tcp::endpoint local_endpoint() const;
  /// Starts the accept loop on the control thread.
  void start();
  /// Stops accepting (drain); connections already accepted go on.
  void stop();

 private:
  net::awaitable<void> accept_loop();

  TcpAcceptor acceptor_;
  std::vector<Worker*> workers_;
  bool admin_;
  std::size_t next_ = 0;
};

}  // namespace corral::netio
