// The one ErrorKind -> status table (userver's single mapping). Keep it in enum order: a static
// check below catches a missing row.
#include "common/error.hpp"

#include <array>

namespace corral {
namespace {

using S = ErrorSource;

constexpr std::array<ErrorInfo, 25> kTable{{
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
