// Address strings of the configuration: `HOST:PORT` listeners and backend URLs, parsed once at load
// time so the data path never re-parses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace corral::config {

/// A listener address: host (IPv6 without brackets) and port (0 = any free port).
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

/// Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (host empty = all interfaces). Nullopt when malformed.
[[nodiscard]] std::optional<HostPort> parse_host_port(std::string_view text);

/// Fills `backend.host`, `port`, `tls` and `path_prefix` from `url`. Returns an error text (without
/// position) when the URL is not `http(s)://host[:port][/prefix]`, or nullopt on success.
[[nodiscard]] std::optional<std::string> parse_backend_url(std::string_view url, BackendConfig& backend);

/// The default backend name: `host:port` (IPv6 in brackets) plus the path prefix when there is one.
[[nodiscard]] std::string default_backend_name(const BackendConfig& backend);

}  // namespace corral::config
