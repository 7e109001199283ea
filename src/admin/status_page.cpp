#include "admin/status_page.hpp"

namespace corral::admin {

namespace {
// The page lives in its own file so it can be edited as HTML and read by the browser test
// (tests/browser), which strips the raw-string wrapper.
constexpr std::string_view kPage =
#include "admin/status_page.html.inc"
    ;
}  // namespace

std::string_view status_page_html() noexcept { return kPage; }

}  // namespace corral::admin
