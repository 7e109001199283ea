#include "config/redis_config.hpp"

#include <charconv>

namespace corral::config {
namespace {

template <class T>
bool parse_number(std::string_view s, T& out, T max) {
  T v{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v > max) return false;
  out = v;
  return true;
}

std::optional<RedisEndpoint> parse_unix(std::string_view rest, std::string& error) {
  RedisEndpoint ep;
  const auto q = rest.find('?');
  ep.unix_path = std::string(rest.substr(0, q));
  if (ep.unix_path.empty() || ep.unix_path.front() != '/') {
    error = "redis.url: unix:// needs an absolute socket path";
    return std::nullopt;
  }
  if (q != std::string_view::npos) {
    const auto query = rest.substr(q + 1);
    if (query.substr(0, 3) != "db=" || !parse_number(query.substr(3), ep.db, 1 << 20)) {
      error = "redis.url: the only query parameter is db=N";
      return std::nullopt;
    }
  }
  return ep;
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(std::string_view url, std::string& error) {
  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kRedis = "redis://";
  if (url.substr(0, kUnix.size()) == kUnix) return parse_unix(url.substr(kUnix.size()), error);
  if (url.substr(0, kRedis.size()) != kRedis) {
    error = "redis.url: must start with redis:// or unix:// (rediss:// is not supported)";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kRedis.size());
  RedisEndpoint ep;
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const auto db = rest.substr(slash + 1);
    if (!db.empty() && !parse_number(db, ep.db, 1 << 20)) {
      error = "redis.url: the path must be a database number";
      return std::nullopt;
    }
  }
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    // redis://:password@host or redis://user:password@host (the user is ignored: AUTH password).
    const auto colon = userinfo.find(':');
    ep.password = std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
  }
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "redis.url: unterminated [IPv6] host";
      return std::nullopt;
    }
    ep.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "redis.url: junk after ]";
        return std::nullopt;
      }
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.rfind(':');
    ep.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (ep.host.empty()) {
    error = "redis.url: missing host";
    return std::nullopt;
  }
  if (has_port) {
    if (!parse_number(port, ep.port, std::uint16_t{65535}) || ep.port == 0) {
      error = "redis.url: bad port";
      return std::nullopt;
    }
  }
  return ep;
}

}  // namespace corral::config
