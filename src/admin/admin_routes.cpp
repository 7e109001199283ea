#include "admin/admin_routes.hpp"

#include "admin/fleet_status.hpp"
#include "admin/status_page.hpp"
#include "http/error_response.hpp"
#include "metrics/prometheus_text.hpp"

namespace corral::admin {
namespace {

enum class Page { kNone, kHtml, kMetrics, kStatus, kScale };

Page page_for(const gateway::GatewayState& gw, std::string_view path, bool admin_listener) {
  if (path == "/corral/") return Page::kHtml;
  if (path == "/corral/api/status") return Page::kStatus;
  if (path == "/corral/api/scale") return Page::kScale;
  if (path == "/metrics" && (admin_listener || !gw.admin_listener)) return Page::kMetrics;
  if (path == "/" && admin_listener) return Page::kHtml;
  return Page::kNone;
}

// The advisor keeps state and is not thread-safe: it runs on the control thread.
net::awaitable<std::string> run_scale(gateway::GatewayState* gw) {
  co_return gw->scale ? gw->scale() : std::string(R"({"pools":[]})");
}

}  // namespace

bool is_observability_page(const gateway::GatewayState& gw, std::string_view path, bool admin_listener) {
  return page_for(gw, path, admin_listener) != Page::kNone;
}

net::awaitable<std::optional<std::string>> answer_observability(gateway::GatewayState& gw, upstream::ConnectionPool& pool,
                                                                const http::request<http::string_body>& msg,
                                                                std::string_view path, bool keep_alive,
                                                                bool admin_listener) {
  const Page page = page_for(gw, path, admin_listener);
  if (page == Page::kNone) co_return std::nullopt;
  http1::ResponseOptions o;
  o.version = msg.version();
  o.keep_alive = keep_alive;
  o.head_only = msg.method() == http::verb::head;
  if (msg.method() != http::verb::get && msg.method() != http::verb::head) {
    o.allow = "GET, HEAD";
    co_return http1::error_response(ProxyError{ErrorKind::kMethodNotAllowed, {}}, routing::ErrorFamily::kOllama, o);
  }
  switch (page) {
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
    case Page::kNone:
      break;
  }
  co_return std::nullopt;
}

}  // namespace corral::admin
