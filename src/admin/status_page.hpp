// The live status page: one self-contained HTML document (inline CSS and JS, no CDN, no build
// step) that polls GET /corral/api/status every second and renders workers, models, queues,
// req/s and TTFT sparklines and recent errors. The JSON it reads is specified in
// docs/observability.md; the page tolerates missing fields. The admin handler serves it at `/`
// (and the main listener at `/corral/`) with Content-Type text/html; charset=utf-8.
#pragma once

#include <string_view>

namespace corral::admin {

/// The page, with static storage duration.
std::string_view status_page_html() noexcept;

}  // namespace corral::admin
