#include "admin/admin_routes.hpp"

#include "admin/fleet_status.hpp"
#include "admin/status_page.hpp"
#include "http/error_response.hpp"
#include "metrics/prometheus_text.hpp"

namespace corral::admin {
namespace {

// The advisor keeps state and is not thread-safe: it runs on the control thread.
net::awaitable<std::string> run_scale(gateway::GatewayState* gw) {
  co_return gw->scale ? gw->scale() : std::string(R"({"pools":[]})");
}

// Reloads touch the registry and the listeners' state: the control thread's work.
net::awaitable<std::optional<std::string>> run_reload(gateway::GatewayState* gw) {
  if (!gw->reload) co_return std::optional<std::string>("nothing to reload: no configuration file (quick mode)");
  co_return gw->reload();
}

std::string status_body(std::string_view status) {
  return std::string(R"({"status":")") + std::string(status) + "\"}";
}

}  // namespace

Page page_for(routing::Endpoint endpoint) {
  using routing::Endpoint;
  switch (endpoint) {
    case Endpoint::kHealthz: return Page::kHealth;
    case Endpoint::kReadyz: return Page::kReady;
    case Endpoint::kStatusPage:
    case Endpoint::kAdminRoot: return Page::kHtml;
    case Endpoint::kMetrics: return Page::kMetrics;
    case Endpoint::kFleetStatus: return Page::kStatus;
    case Endpoint::kScaleAdvice: return Page::kScale;
    case Endpoint::kReload: return Page::kReload;
    default: return Page::kNone;
  }
}

net::awaitable<std::string> answer_gateway_route(gateway::GatewayState& gw, upstream::ConnectionPool& pool,
                                                 const http::request<http::string_body>& msg,
                                                 const routing::Route& route, bool keep_alive) {
  http1::ResponseOptions o;
  o.version = msg.version();
  o.keep_alive = keep_alive;
  o.head_only = msg.method() == http::verb::head;
  if (!route.method_allowed) {
    o.allow = route.allow;
    co_return http1::error_response(ProxyError{ErrorKind::kMethodNotAllowed, {}}, routing::ErrorFamily::kOllama, o);
  }
  switch (page_for(route.endpoint)) {
    case Page::kHealth:
      co_return http1::simple_response(200, "application/json", status_body("ok"), o);
    case Page::kReady: {
      const bool ready = gw.is_ready();
      co_return http1::simple_response(ready ? 200 : 503, "application/json", status_body(ready ? "ready" : "not ready"), o);
    }
    case Page::kHtml:
      co_return http1::simple_response(200, "text/html; charset=utf-8", status_page_html(), o);
    case Page::kMetrics:
      refresh_gauges(gw);
      co_return http1::simple_response(200, metrics::kPrometheusContentType, gw.metrics.prometheus_text(), o);
    case Page::kStatus: {
      const std::string body = co_await fleet_status_json(gw, pool);
      co_return http1::simple_response(200, "application/json", body, o);
    }
    case Page::kScale: {
      const std::string body = co_await net::co_spawn(gw.control, run_scale(&gw), net::use_awaitable);
      co_return http1::simple_response(200, "application/json", body, o);
    }
    case Page::kReload: {
      const auto error = co_await net::co_spawn(gw.control, run_reload(&gw), net::use_awaitable);
      co_return error ? http1::simple_response(400, "application/json; charset=utf-8",
                                               http1::error_body(routing::ErrorFamily::kOllama, 400, *error), o)
                      : http1::simple_response(200, "application/json", status_body("reloaded"), o);
    }
    case Page::kNone:
      break;
  }
  co_return http1::error_response(ProxyError{ErrorKind::kNotFound, {}}, routing::ErrorFamily::kOllama, o);
}

}  // namespace corral::admin
