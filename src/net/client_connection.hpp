// One client connection on its worker (style.md section 4, steps 2-5): the keep-alive loop that serves
// one request after another in named phases: read (the head under its own deadline, strict checks in
// http/request_checks, the body into a padded buffer), route (routing/router: every path Corral answers
// is a row), authorize (on the public listener the row's access column: probes pass, Corral's admin calls
// need an admin key, everything else passes the Gatekeeper's keys, allow lists and rate limits; the admin
// listener is trusted and checks nothing), then the handler of the route's kind: the gateway's own pages
// and calls (admin/admin_routes) or the proxy. A refused head is answered with `Connection: close` and
// the connection is closed without reading what follows.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "auth/gatekeeper.hpp"
#include "common/asio.hpp"
#include "gateway/client_request.hpp"
#include "gateway/disconnect_watch.hpp"
#include "http/request_checks.hpp"
#include "http/zstd_body.hpp"
#include "net/connection_limiter.hpp"
#include "net/worker.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::netio {

/// What the listener knows about a connection when it hands it over.
struct ConnectionOrigin {
  bool admin = false;                ///< accepted by the admin listener
  auth::Gatekeeper* gatekeeper = nullptr;
  net::ip::address peer;             ///< the socket peer (for TLS: the TCP client, not the socket pair)
  std::unique_ptr<ConnectionLimiter::Ticket> ticket;  ///< the listener's connection slot, released at close
  bool tls = false;                  ///< the bytes arrive through TLS termination
};

class ClientConnection final : public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(tcp::socket socket, Worker& worker, ConnectionOrigin origin);

  /// The connection's life; returns when it is closed. Worker thread.
  net::awaitable<void> run();
  /// Drain: closes the connection now if it is idle between requests; otherwise it closes after the
  /// response in progress. Worker thread.
  void drain();
  /// The slot `run()` is spawned with: the disconnect watch cancels the request through it.
  [[nodiscard]] net::cancellation_slot cancellation_slot() { return watch_.slot(); }

 private:
  enum class HeadStatus { kComplete, kClosed, kRefused, kTimeout };
  /// The read of the next request, started as soon as a request has been read (disconnect_watch.hpp).
  enum class ReadAhead : std::uint8_t { kNone, kPending, kBytes, kEnded };
  struct Head {
    HeadStatus status = HeadStatus::kClosed;
    std::size_t skip = 0;
    std::size_t size = 0;
    http1::Refusal refusal;
  };

  using RequestParser = http::request_parser<http::string_body>;

  net::awaitable<bool> serve_one(bool first_request);
  // The phases of serve_one, in order.
  net::awaitable<upstream::SnapshotPtr> read_request(bool first_request, RequestParser& parser,
                                                     gateway::ClientRequest& req);
  [[nodiscard]] std::optional<http1::BodyRefusal> find_route(gateway::ClientRequest& req) const;
  net::awaitable<auth::Verdict> authorize(const gateway::ClientRequest& req, upstream::SnapshotPtr snap);
  net::awaitable<bool> answer_own_route(const gateway::ClientRequest& req);
  void prepare_to_proxy(gateway::ClientRequest& req, const auth::Verdict& verdict);
  net::awaitable<bool> refuse_request(const gateway::ClientRequest& req, const auth::Verdict& verdict);
  net::awaitable<bool> refuse_body(const gateway::ClientRequest& req, const http1::BodyRefusal& refusal);

  net::awaitable<Head> read_head(bool first_request);
  enum class BufferedBody { kComplete, kMore, kRefused };
  BufferedBody take_buffered_body(RequestParser& parser, const http1::HeadFacts& facts, http1::Refusal& refusal);
  net::awaitable<bool> read_body(RequestParser& parser, const http1::HeadFacts& facts,
                                 std::chrono::nanoseconds timeout);
  net::awaitable<bool> await_read_ahead(std::chrono::nanoseconds idle);
  void start_read_ahead();
  void read_ahead_done(std::size_t n);
  net::awaitable<void> refuse(const http1::Refusal& refusal);
  net::awaitable<void> linger_close();
  void close();

  TcpStream stream_;
  SteadyTimer header_timer_;
  Worker& worker_;
  bool admin_;
  auth::Gatekeeper& gatekeeper_;
  net::ip::address peer_;
  std::unique_ptr<ConnectionLimiter::Ticket> ticket_;
  bool tls_;
  bool idle_ = false;
  ReadAhead ahead_ = ReadAhead::kNone;
  bool waiting_ = false;  // read_head sleeps on header_timer_ until the read-ahead ends
  bool withdrawn_ = false;  // the read-ahead was cancelled by us, not ended by the client
  gateway::DisconnectWatch watch_;
  beast::flat_buffer buffer_;
  std::string body_storage_;  // the body buffer, reused across requests (capacity kept)
  std::string client_ip_;
};

/// Spawns `run()` on the worker's executor with a completion handler that logs escaped exceptions.
void start_connection(tcp::socket socket, Worker& worker, ConnectionOrigin origin);

}  // namespace corral::netio
