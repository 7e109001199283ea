// Gateway-made responses as complete bytes: error bodies in the endpoint family's shape
// (`{"error":"..."}` on native /api/*, `{"error":{"message","type","param","code"}}` on /v1/*,
// `{"type":"error","error":{"type","message"}}` on /v1/messages), gin's text answers for 404/405, and
// small fixed answers ("Ollama is running", /healthz). The status comes from THE table in
// common/error.cpp; the `type` names from the status, as Ollama's openai.NewError and anthropic.NewError
// pick them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "routing/router.hpp"

namespace corral::http1 {

struct ResponseOptions {
  unsigned version = 11;          ///< the request's HTTP version (10 or 11)
  bool keep_alive = true;         ///< false adds `Connection: close` (so does HTTP/1.0: RFC 9112 9.3)
  bool head_only = false;         ///< a HEAD request: headers (with the body's Content-Length) but no body
  std::uint32_t retry_after = 0;  ///< seconds; 0 = no Retry-After field
  std::string_view request_id;    ///< echoed as X-Request-ID when not empty
  std::string_view allow;         ///< an Allow field (405) when not empty
  bool bearer_challenge = false;  ///< `WWW-Authenticate: Bearer` (a 401 from the API-key check)
  std::string_view accept_encoding;  ///< an Accept-Encoding field (a 415 for a content coding) when not empty
};

/// The `type` of an OpenAI-shaped error, as Ollama's openai.NewError picks it: 400 invalid_request_error,
/// 404 not_found_error, anything else api_error.
[[nodiscard]] std::string_view openai_error_type(int status);

/// The `error.type` of an Anthropic-shaped error, as Ollama's anthropic.NewError picks it: 400
/// invalid_request_error, 401 authentication_error, 403 permission_error, 404 not_found_error, 429
/// rate_limit_error, 503 and 529 overloaded_error, anything else api_error.
[[nodiscard]] std::string_view anthropic_error_type(int status);

/// The JSON error body for `family` (no trailing newline, Go escaping), typed from `status` as above.
[[nodiscard]] std::string error_body(routing::ErrorFamily family, int status, std::string_view message);

/// A whole response: status line, Content-Type, Content-Length, the options' fields, body.
[[nodiscard]] std::string simple_response(int status, std::string_view content_type, std::string_view body,
                                          const ResponseOptions& options);

/// A refusal made by the gateway's own checks (401, 403, 429...) as a whole response, with the body in
/// `family`'s shape.
[[nodiscard]] std::string refusal_response(int status, routing::ErrorFamily family, std::string_view message,
                                           const ResponseOptions& options);

/// A gateway error as a whole response: 404/405 as gin's text (on the Anthropic family a 405 is JSON too:
/// its clients read every error body as one), everything else as JSON in `family`'s shape. Sets
/// Retry-After when the table says so and options.retry_after is 0 (then 1 second).
[[nodiscard]] std::string error_response(const ProxyError& error, routing::ErrorFamily family,
                                         ResponseOptions options);

}  // namespace corral::http1
