// One client connection on its worker (style.md section 4, steps 2-4): the keep-alive loop that reads a
// request head under its own deadline, checks it strictly (http/request_checks), reads the body into a
// padded buffer, and hands the request to the proxy handler (or answers the gateway's own paths:
// /healthz, /readyz, and on the admin listener the admin API). A refused head is answered with
// `Connection: close` and the connection is closed without reading what follows.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "http/request_checks.hpp"
#include "net/worker.hpp"

namespace corral::netio {

class ClientConnection final : public std::enable_shared_from_this<ClientConnection> {
 public:
  /// `admin`: this connection came from the admin listener.
  ClientConnection(tcp::socket socket, Worker& worker, bool admin);

  /// The connection's life; returns when it is closed. Worker thread.
  net::awaitable<void> run();
  /// Drain: closes the connection now if it is idle between requests; otherwise it closes after the
  /// response in progress. Worker thread.
  void drain();

 private:
  enum class HeadStatus { kComplete, kClosed, kRefused, kTimeout };
  struct Head {
    HeadStatus status = HeadStatus::kClosed;
    std::size_t skip = 0;
    std::size_t size = 0;
    http1::Refusal refusal;
  };

  net::awaitable<Head> read_head(bool first_request);
  net::awaitable<bool> serve_one(bool first_request);
  net::awaitable<void> refuse(const http1::Refusal& refusal);
  net::awaitable<void> linger_close();
  net::awaitable<bool> admin_request(http::request<http::string_body>& msg, std::string_view path,
                                     bool keep_alive);
  void close();

  TcpStream stream_;
  SteadyTimer header_timer_;
  Worker& worker_;
  bool admin_;
  bool idle_ = false;
  beast::flat_buffer buffer_;
  std::string body_storage_;  // the body buffer, reused across requests (capacity kept)
  std::string client_ip_;
  std::unique_ptr<std::array<char, 16 * 1024>> relay_buffer_;
};

/// Spawns `run()` on the worker's executor with a completion handler that logs escaped exceptions.
void start_connection(tcp::socket socket, Worker& worker, bool admin);

}  // namespace corral::netio
