// The one ErrorKind -> status table (userver's single mapping). Keep it in enum order: a static
// check below catches a missing row.
#include "common/error.hpp"

#include <array>

namespace corral {
namespace {

using S = ErrorSource;

constexpr std::array<ErrorInfo, 26> kTable{{
    {400, S::kDownstream, false, false, "bad request", "bad_request"},
    {408, S::kDownstream, false, false, "request timeout", "request_timeout"},
    {413, S::kDownstream, false, false, "request body too large", "payload_too_large"},
    {414, S::kDownstream, false, false, "request uri too long", "uri_too_long"},
    {417, S::kDownstream, false, false, "expectation failed", "expectation_failed"},
    {431, S::kDownstream, false, false, "request header fields too large", "headers_too_large"},
    {505, S::kDownstream, false, false, "http version not supported", "version_not_supported"},
    {404, S::kDownstream, false, false, "404 page not found", "not_found"},
    {405, S::kDownstream, false, false, "405 method not allowed", "method_not_allowed"},
    {404, S::kInternal, false, false, "model not found", "model_not_found"},
    {503, S::kInternal, false, true, "server busy, please try again: the gateway queue is full", "queue_full"},
    {503, S::kInternal, false, true, "server busy, please try again: timed out waiting for a free backend",
     "queue_timeout"},
    {503, S::kInternal, false, true, "no healthy backend available, please try again", "no_eligible_backend"},
    {503, S::kInternal, false, true, "server is shutting down", "draining"},
    {429, S::kDownstream, false, true, "rate limit exceeded", "rate_limited"},
    {502, S::kUpstream, true, false, "upstream connection failed", "upstream_connect_failed"},
    {504, S::kUpstream, true, false, "upstream connect timeout", "upstream_connect_timeout"},
    {502, S::kUpstream, true, false, "upstream closed the connection before responding", "upstream_reset"},
    {503, S::kUpstream, true, true, "server busy, please try again.  maximum pending requests exceeded",
     "upstream_busy"},
    // A 502 the backend itself sent comes from something in front of Ollama (a proxy or load balancer
    // that could not reach it): it arrives fast, before any byte went to the client, and says this
    // backend cannot serve now, so another one may take the request, as after a refused connection
    // (generation has no side effects). A head that cannot be parsed (next row) is not retried: the
    // backend took the whole request and may be running it, model load included, and a second backend
    // would do it all again; the outlier detector deals with the broken one. Both rows keep the log name
    // upstream_bad_response that access logs and dashboards already count.
    {502, S::kUpstream, true, false, "upstream answered 502 Bad Gateway", "upstream_bad_response"},
    {502, S::kUpstream, false, false, "upstream sent an invalid response", "upstream_bad_response"},
    {504, S::kUpstream, false, false, "upstream timeout", "upstream_first_byte_timeout"},
    {502, S::kUpstream, false, false, "upstream connection lost", "upstream_stream_error"},
    {504, S::kUpstream, false, false, "upstream stream idle timeout", "stream_idle_timeout"},
    {499, S::kDownstream, false, false, "client closed request", "client_closed"},
    {500, S::kInternal, false, false, "internal error", "internal"},
}};

static_assert(kTable.size() == static_cast<std::size_t>(ErrorKind::kInternal) + 1, "one row per ErrorKind");

}  // namespace

const ErrorInfo& error_info(ErrorKind kind) { return kTable[static_cast<std::size_t>(kind)]; }

}  // namespace corral
