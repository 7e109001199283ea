// Deliberately narrow: the forms an operator writes for a listener or an Ollama server, nothing that
// would need a general URL parser (user info, query and fragment are refused, not ignored).
#include "config/endpoint_address.hpp"

#include <algorithm>
#include <cctype>

namespace corral::config {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool valid_host_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_';
  });
}

bool valid_ipv6(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isxdigit(c) || c == ':' || c == '.';
  });
}

struct Authority {
  std::string host;
  std::optional<std::uint16_t> port;  // nullopt when absent
};

// `host`, `host:port`, `[v6]`, `[v6]:port`; an empty host is allowed only when `allow_empty_host`.
std::optional<Authority> parse_authority(std::string_view text, bool allow_empty_host) {
  Authority out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view v6 = text.substr(1, close - 1);
    if (!valid_ipv6(v6)) return std::nullopt;
    out.host = std::string(v6);
    rest = text.substr(close + 1);
  } else {
    const auto colon = text.rfind(':');
    const std::string_view host = colon == std::string_view::npos ? text : text.substr(0, colon);
    if (!(host.empty() && allow_empty_host) && !valid_host_name(host)) return std::nullopt;
    out.host = std::string(host);
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    out.port = parse_port(rest.substr(1));
    if (!out.port) return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text) {
  auto authority = parse_authority(text, /*allow_empty_host=*/true);
  if (!authority || !authority->port) return std::nullopt;
  return HostPort{std::move(authority->host), *authority->port};
}

std::optional<std::string> parse_backend_url(std::string_view url, BackendConfig& backend) {
  auto starts_with_ci = [&](std::string_view prefix) {
    return url.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), url.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  };
  bool tls = false;
  std::string_view rest;
  if (starts_with_ci("http://")) {
    rest = url.substr(7);
  } else if (starts_with_ci("https://")) {
    tls = true;
    rest = url.substr(8);
  } else {
    return "must start with http:// or https://";
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return "must not have a query or fragment";
  const auto slash = rest.find('/');
  const std::string_view authority_text = rest.substr(0, slash);
  if (authority_text.find('@') != std::string_view::npos) return "must not carry user information";
  const auto authority = parse_authority(authority_text, /*allow_empty_host=*/false);
  if (!authority) return "has no valid host[:port]";
  if (authority->port && *authority->port == 0) return "has port 0";
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.find_first_of(" \t\r\n") != std::string_view::npos) return "has whitespace in its path";

  backend.tls = tls;
  backend.host = authority->host;
  backend.port = authority->port.value_or(tls ? 443 : 80);
  backend.path_prefix = std::string(path);
  return std::nullopt;
}

std::string default_backend_name(const BackendConfig& backend) {
  const bool v6 = backend.host.find(':') != std::string::npos;
  return (v6 ? "[" + backend.host + "]" : backend.host) + ":" + std::to_string(backend.port) + backend.path_prefix;
}

}  // namespace corral::config
