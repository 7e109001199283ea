// The gateway's error vocabulary (style.md section 6): one ErrorKind per distinct failure, where it
// came from, whether a retry on another backend is allowed, and THE table mapping each kind to the
// status a client sees. Data-plane failures travel as ProxyError values, never as exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace corral {

enum class ErrorKind : std::uint8_t {
  kBadRequest,                ///< framing, Host, target, JSON, missing model -> 400
  kRequestTimeout,            ///< request head or body too slow -> 408
  kPayloadTooLarge,           ///< body over limits.max_body -> 413
  kUriTooLong,                ///< request-target over limits.max_uri -> 414
  kExpectationFailed,         ///< an Expect other than 100-continue -> 417
  kHeadersTooLarge,           ///< head over limits.max_header, or too many fields -> 431
  kVersionNotSupported,       ///< not HTTP/1.0 or HTTP/1.1 -> 505
  kNotFound,                  ///< unknown path -> 404 (text, like gin)
  kMethodNotAllowed,          ///< known path, wrong method -> 405 (text, like gin)
  kModelNotFound,             ///< no pool serves the model -> 404
  kQueueFull,                 ///< the pool's queue is full -> 503 + Retry-After
  kQueueTimeout,              ///< waited queue.timeout -> 503 + Retry-After
  kNoEligibleBackend,         ///< no healthy backend in the pool -> 503 + Retry-After
  kDraining,                  ///< shutting down -> 503
  kRateLimited,               ///< 429 + Retry-After (issue 7)
  kUpstreamConnectFailed,     ///< refused, unreachable -> 502; retryable
  kUpstreamConnectTimeout,    ///< connect timed out -> 504; retryable
  kUpstreamResetBeforeHead,   ///< EOF/reset before the response head -> 502; retryable
  kUpstreamBusy,              ///< Ollama's 503 queue-full answer -> 503; retryable
  kUpstreamBadGateway,        ///< the backend answered 502 itself -> 502; retryable
  kUpstreamBadResponse,       ///< unparsable response head -> 502; not retried
  kUpstreamFirstByteTimeout,  ///< no response head within timeouts.first_byte -> 504; not retried
  kUpstreamStreamError,       ///< upstream broke mid-body: the client connection is aborted
  kStreamIdleTimeout,         ///< upstream silent past timeouts.stream_idle mid-body: aborted
  kClientClosed,              ///< the client left; nothing is sent (logged as 499)
  kInternal,                  ///< a bug -> 500
};

/// Who caused it.
enum class ErrorSource : std::uint8_t { kDownstream, kUpstream, kInternal };

/// One row of the table.
struct ErrorInfo {
  int status;                 ///< HTTP status the client sees (499 = nothing sent, client gone)
  ErrorSource source;
  bool retryable;             ///< may go to another backend if nothing reached the client yet
  bool retry_after;           ///< the answer carries Retry-After
  std::string_view message;   ///< default client-facing text
  std::string_view name;      ///< stable snake_case name for logs and metrics
};

/// THE mapping (error.cpp).
[[nodiscard]] const ErrorInfo& error_info(ErrorKind kind);

/// A failure on the data path, translated at a module boundary.
struct ProxyError {
  ErrorKind kind = ErrorKind::kInternal;
  std::string detail;  ///< client-facing text when non-empty, else error_info(kind).message

  [[nodiscard]] int status() const { return error_info(kind).status; }
  [[nodiscard]] bool retryable() const { return error_info(kind).retryable; }
  [[nodiscard]] ErrorSource source() const { return error_info(kind).source; }
  [[nodiscard]] std::string_view message() const {
    return detail.empty() ? error_info(kind).message : std::string_view(detail);
  }
};

}  // namespace corral
