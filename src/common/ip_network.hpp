// IP addresses and networks as configuration and X-Forwarded-For write them: CIDR parsing and matching,
// IPv4-mapped IPv6 folded to IPv4. Pure; no I/O. Used by the config validators and by auth.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace corral::common {

using IpAddress = boost::asio::ip::address;

/// One network: 16 bytes (IPv4 as IPv4-mapped IPv6) and a prefix length over those 128 bits.
struct Cidr {
  std::array<unsigned char, 16> bytes{};
  unsigned prefix = 0;

  [[nodiscard]] bool contains(const IpAddress& address) const;
};

/// Parses `10.0.0.0/8`, `192.168.1.7` (a /32), `fd00::/8`, `::1`. Host bits set below the prefix are an
/// error (`10.0.0.1/8` is usually a typo). nullopt when malformed.
[[nodiscard]] std::optional<Cidr> parse_cidr(std::string_view text);

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) as plain IPv4; others unchanged.
[[nodiscard]] IpAddress normalize(const IpAddress& address);

/// A plain IP (no port, no zone id), normalized; nullopt when malformed.
[[nodiscard]] std::optional<IpAddress> parse_ip(std::string_view text);

}  // namespace corral::common
