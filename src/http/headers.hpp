// Header rewriting between the two sides of the proxy (RFC 9110 7.6.1, reliability.md section 4):
// the upstream request is rebuilt as bytes from the parsed head (hop-by-hop fields dropped, Host set to
// the backend, X-Forwarded-For/-Proto and X-Request-ID set, our own Content-Length framing), and the
// client's response head is rebuilt as bytes from the backend's, without hop-by-hop fields, with the
// framing the relay writes (proxy/body_relay.hpp).
// Pure functions. Namespace http1 because corral::http is the Beast alias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"

namespace corral::http1 {

/// True when `name` is one of the tokens listed in the message's Connection field(s).
[[nodiscard]] bool nominated_by_connection(const http::fields& fields, std::string_view name);

struct ForwardContext {
  std::string_view backend_authority;  ///< Host for the backend: "host:port"
  std::string_view path_prefix;        ///< the backend URL's path prefix ("" or "/ollama")
  std::string_view client_ip;          ///< the client address (after the trusted-proxy rules of auth/trusted_proxies)
  std::string_view request_id;         ///< X-Request-ID to send
  bool client_tls = false;             ///< X-Forwarded-Proto https when the client used TLS
};

/// Appends the upstream request head to `out`: `METHOD prefix+target HTTP/1.1`, the client's end-to-end
/// fields in order, then Host, X-Forwarded-For, X-Forwarded-Proto, X-Request-ID and, when `with_body` (a
/// request that had a body or is a POST/PUT/PATCH/DELETE), `Content-Length: body_size`. Dropped: hop-by-hop
/// and Connection-nominated fields, Host, Content-Length, Expect, Origin, X-Forwarded-*, Forwarded,
/// X-Real-IP, X-Request-ID.
void build_upstream_head(std::string& out, const http::request_header<>& request, std::string_view origin_target,
                         const ForwardContext& ctx, std::size_t body_size, bool with_body);

/// What the client's response head says besides the copied fields.
struct ResponseHeadSpec {
  unsigned version = 11;               ///< the client's HTTP version: 10 or 11
  std::string_view request_id;         ///< X-Request-ID (replaces the backend's)
  std::optional<std::uint64_t> content_length;  ///< Content-Length when set
  bool chunked = false;                ///< Transfer-Encoding: chunked (never with content_length)
  bool keep_alive = true;              ///< Connection: close on 1.1 when false; keep-alive on 1.0 when true
};

/// Appends the client's response head for an upstream response: its status line with the backend's
/// status and reason, the end-to-end fields (hop-by-hop, Connection-nominated, Content-Length, Transfer-Encoding and X-Request-ID dropped), then
/// X-Request-ID, the framing and Connection from `spec`, and the blank line.
void build_response_head(std::string& out, const http::response_header<>& upstream, const ResponseHeadSpec& spec);

/// The X-Request-ID to use: the client's when it is 1..128 visible ASCII characters, else a fresh one.
[[nodiscard]] std::string request_id_for(std::string_view client_value);

/// A fresh 32-hex-digit request id (per-thread generator; no locking).
[[nodiscard]] std::string new_request_id();

}  // namespace corral::http1
