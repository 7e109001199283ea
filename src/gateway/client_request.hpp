// One client request as the proxy handler sees it: the parsed message (head + body, the body in a
// buffer with simdjson's padding), what the head checks learned, its route, and the connection facts
// the handler needs to answer (the client stream, keep-alive, request id). Owned by the connection's
// frame, which awaits the handler, so references stay valid.
#pragma once

#include <array>
#include <string>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "http/request_checks.hpp"
#include "routing/request_info.hpp"
#include "routing/router.hpp"

namespace corral::http1 {
class RelayBuffers;
}

namespace corral::gateway {

class DisconnectWatch;

struct ClientRequest {
  ClientRequest(http::request<http::string_body>& m, TcpStream& c) : msg(m), client(c) {}

  http::request<http::string_body>& msg;  ///< body capacity >= size + routing::kBodyPadding
  TcpStream& client;
  http1::HeadFacts facts;
  routing::Route route;
  /// The request's facts (model, stream flag, options digest...), read once from the body after the head
  /// checks; every later step reads these, not the body.
  routing::RequestInfo info;
  std::string request_id;   ///< X-Request-ID (the client's or generated), echoed on the response
  std::string client_ip;    ///< the peer address
  std::string principal;    ///< the API key name auth identified (access log `key`); empty when none
  std::uint64_t completion_tokens = 0;  ///< set by handle_request from the final object (token budgets charge it)
  bool client_tls = false;  ///< the client connected over TLS (X-Forwarded-Proto: https upstream)
  bool keep_alive = true;   ///< the client may get another request on this connection
  bool admin_listener = false;  ///< came in on the admin listener (`/` is the status page there)
  SteadyClock::time_point started{};
  http1::RelayBuffers* relay_buffers = nullptr;  ///< the worker's relay buffers (body_relay.hpp)
  gateway::DisconnectWatch* watch = nullptr;  ///< the connection's disconnect watch (net/disconnect_watch.hpp)
};

/// How the request ended for the connection.
struct Completion {
  bool keep_alive = false;  ///< false: close the client connection now
};

}  // namespace corral::gateway
