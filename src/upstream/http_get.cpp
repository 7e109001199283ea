#include "upstream/http_get.hpp"

#include <boost/asio/experimental/parallel_group.hpp>

#include "upstream/backend.hpp"

namespace corral::upstream {
namespace {

net::awaitable<std::optional<GetResult>> get_once(UpstreamConnection& conn, const Backend& backend,
                                                  const std::string& target, std::chrono::nanoseconds timeout,
                                                  bool& reusable) {
  reusable = false;
  http::request<http::empty_body> req{http::verb::get, backend.path_prefix + target, 11};
  req.set(http::field::host, backend.authority);
  req.set(http::field::user_agent, "corral");
  conn.stream.expires_after(timeout);
  auto [wec, wn] = co_await http::async_write(conn.stream, req);
  if (wec) co_return std::nullopt;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  auto [rec, rn] = co_await http::async_read(conn.stream, conn.buffer, parser);
  if (rec) co_return std::nullopt;
  auto& res = parser.get();
  reusable = res.keep_alive() && conn.buffer.size() == 0;
  co_return GetResult{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace

net::awaitable<std::optional<GetResult>> http_get(ConnectionPool& pool, std::shared_ptr<const Backend> backend,
                                                  std::string target, std::chrono::nanoseconds timeout) {
  auto ex = co_await net::this_coro::executor;
  // A pooled connection may have been closed by the backend meanwhile: one more try on a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    ConnectionPtr conn = attempt == 0 ? pool.checkout(backend->uid) : nullptr;
    if (!conn) {
      error_code ec;
      conn = co_await connect_backend(ex, backend, timeout, ec);
      if (!conn) co_return std::nullopt;
    }
    const bool was_reused = conn->reused;
    bool reusable = false;
    auto result = co_await get_once(*conn, *backend, target, timeout, reusable);
    if (result) {
      if (reusable) pool.give_back(backend->uid, std::move(conn));
      co_return result;
    }
    if (!was_reused) co_return std::nullopt;
  }
  co_return std::nullopt;
}

net::awaitable<std::vector<std::optional<std::string>>> fetch_from_all(
    ConnectionPool& pool, const std::vector<std::shared_ptr<const Backend>>& targets,
    std::string_view path, std::chrono::nanoseconds timeout) {
  std::vector<std::optional<std::string>> bodies(targets.size());
  if (targets.empty()) co_return bodies;
  auto ex = co_await net::this_coro::executor;
  using Op = decltype(net::co_spawn(ex, http_get(pool, targets.front(), std::string(path), timeout),
                                    net::deferred));
  std::vector<Op> ops;
  ops.reserve(targets.size());
  for (const auto& t : targets) {
    ops.push_back(net::co_spawn(ex, http_get(pool, t, std::string(path), timeout), net::deferred));
  }
  auto [order, exceptions, results] = co_await net::experimental::make_parallel_group(std::move(ops))
                                          .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!exceptions[i] && results[i] && results[i]->status == 200) bodies[i] = std::move(results[i]->body);
  }
  co_return bodies;
}

}  // namespace corral::upstream
