// One attempt on one backend (style.md section 4, step 7): reuse a pooled connection (peek-checked) or
// connect under timeouts.connect, write the rebuilt request head and the body byte for byte, and read
// the response head under timeouts.first_byte (which includes a model load). A reused connection that
// fails before any response byte is replaced by a fresh one once, on the same backend: the backend
// closed it idle, so the request was provably not processed. Failures come back as ProxyError values
// with the outlier outcome to report. Run under `||` with the client disconnect watch.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/outlier_detector.hpp"

namespace corral::upstream {
class Backend;
}

namespace corral::upstream {

using ResponseParser = http::response_parser<http::buffer_body>;

struct ExchangeResult {
  upstream::ConnectionPtr conn;            ///< the connection the head was read from (null on failure)
  std::optional<ProxyError> error;         ///< set on failure
  upstream::Outcome outcome = upstream::Outcome::kSuccess;  ///< for the outlier detector on failure
};

/// Runs the attempt; `parser` is (re)created here and holds the response head on success. `head` is the
/// upstream request head for this backend; `body` goes after it unchanged. `head_request`: the response
/// has no body whatever its fields say.
net::awaitable<void> exchange(upstream::ConnectionPool& pool, const std::shared_ptr<const upstream::Backend>& backend,
                              const std::string& head, std::string_view body, bool head_request,
                              const config::TimeoutsConfig& timeouts, std::optional<ResponseParser>& parser,
                              ExchangeResult& out);

}  // namespace corral::upstream
