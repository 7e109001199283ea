// Who the client is: the socket peer, unless the peer is a trusted proxy, in which case X-Forwarded-For
// is walked from the right (the hop our peer appended) past every trusted address; the first untrusted
// one is the client ("rightmost untrusted"). Anything left of it was written by the client and is never
// believed. CIDR sets are parsed once per configuration and are immutable, so every worker reads them
// without locks.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_network.hpp"

namespace corral::auth {

using IpAddress = boost::asio::ip::address;

class CidrSet final {
 public:
  CidrSet() = default;
  /// Throws std::invalid_argument naming the first malformed entry (control plane, at config load).
  explicit CidrSet(const std::vector<std::string>& cidrs);

  [[nodiscard]] bool contains(const IpAddress& address) const;
  [[nodiscard]] bool empty() const { return cidrs_.empty(); }

 private:
  std::vector<common::Cidr> cidrs_;
};

/// Parses one X-Forwarded-For element: an IP, optionally `[v6]`, `v4:port` or `[v6]:port`. nullopt otherwise.
[[nodiscard]] std::optional<IpAddress> parse_forwarded_element(std::string_view text);

/// The client's address. `x_forwarded_for` is the comma-joined value of every X-Forwarded-For field in
/// order (empty when absent). If `peer` is not trusted, or the header is empty, the answer is `peer`.
/// Otherwise the elements are walked right to left; trusted ones are skipped; the first untrusted one is the
/// answer. A malformed element stops the walk: the answer is then the last address known good (the hop
/// that appended the garbage). If every element is trusted, the leftmost one.
[[nodiscard]] IpAddress client_address(const IpAddress& peer, std::string_view x_forwarded_for,
                                       const CidrSet& trusted);

/// Same, reading every X-Forwarded-For field of `fields`.
[[nodiscard]] IpAddress client_address(const IpAddress& peer, const boost::beast::http::fields& fields,
                                       const CidrSet& trusted);

}  // namespace corral::auth
