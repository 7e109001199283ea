#include "agent/ollama_ps.hpp"

#include <boost/json.hpp>

namespace corral::agent {

namespace json = boost::json;

std::optional<std::vector<LoadedModel>> parse_ollama_ps(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* models = v.as_object().if_contains("models");
  if (!models || !models->is_array()) return std::nullopt;
  std::vector<LoadedModel> out;
  for (const auto& m : models->as_array()) {
    if (!m.is_object()) continue;
    const auto& o = m.as_object();
    LoadedModel lm;
    if (const auto* n = o.if_contains("name"); n && n->is_string()) lm.name = std::string(n->as_string());
    else if (const auto* n2 = o.if_contains("model"); n2 && n2->is_string()) lm.name = std::string(n2->as_string());
    auto number = [&](const char* key) -> std::uint64_t {
      const auto* x = o.if_contains(key);
      if (!x) return 0;
      if (x->is_uint64()) return x->as_uint64();
      if (x->is_int64()) return x->as_int64() > 0 ? static_cast<std::uint64_t>(x->as_int64()) : 0;
      if (x->is_double()) return x->as_double() > 0 ? static_cast<std::uint64_t>(x->as_double()) : 0;
      return 0;
    };
    lm.size_bytes = number("size");
    lm.vram_bytes = number("size_vram");
    if (const auto* e = o.if_contains("expires_at"); e && e->is_string()) lm.expires_at = std::string(e->as_string());
    if (!lm.name.empty()) out.push_back(std::move(lm));
  }
  return out;
}

std::optional<HttpTarget> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  url = url.substr(0, url.find('/'));
  if (url.empty()) return std::nullopt;
  HttpTarget t;
  if (url.front() == '[') {  // [v6]:port
    const auto close = url.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    t.host = std::string(url.substr(1, close - 1));
    url.remove_prefix(close + 1);
    t.port = url.starts_with(":") ? std::string(url.substr(1)) : "80";
  } else {
    const auto colon = url.rfind(':');
    t.host = std::string(url.substr(0, colon));
    t.port = colon == std::string_view::npos ? "80" : std::string(url.substr(colon + 1));
  }
  if (t.host.empty() || t.port.empty()) return std::nullopt;
  return t;
}

net::awaitable<OllamaState> fetch_ollama_ps(std::string url, std::chrono::milliseconds timeout) {
  OllamaState st;
  st.url = url;
  const auto target = parse_http_url(url);
  if (!target) {
    st.error = "not an http:// URL";
    co_return st;
  }
  auto ex = co_await net::this_coro::executor;
  net::as_tuple_t<net::use_awaitable_t<>>::as_default_on_t<tcp::resolver> resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(target->host, target->port);
  if (rec) {
    st.error = "resolve: " + rec.message();
    co_return st;
  }
  TcpStream stream(ex);
  stream.expires_after(timeout);  // covers connect, write and read together
  auto [cec, ep] = co_await stream.async_connect(results);
  if (cec) {
    st.error = "connect: " + cec.message();
    co_return st;
  }
  http::request<http::empty_body> req{http::verb::get, "/api/ps", 11};
  req.set(http::field::host, target->host + ":" + target->port);
  req.set(http::field::user_agent, "corral-agent");
  auto [wec, wn] = co_await http::async_write(stream, req);
  if (wec) {
    st.error = "write: " + wec.message();
    co_return st;
  }
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * 1024 * 1024);
  auto [rdec, rn] = co_await http::async_read(stream, buf, parser);
  if (rdec) {
    st.error = "read: " + rdec.message();
    co_return st;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  const auto& res = parser.get();
  if (res.result() != http::status::ok) {
    st.error = "/api/ps answered " + std::to_string(res.result_int());
    co_return st;
  }
  auto models = parse_ollama_ps(res.body());
  if (!models) {
    st.error = "/api/ps: unexpected body";
    co_return st;
  }
  st.reachable = true;
  st.models = std::move(*models);
  co_return st;
}

}  // namespace corral::agent
