#include "auth/trusted_proxies.hpp"

#include <charconv>
#include <stdexcept>

namespace corral::auth {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_port(std::string_view p) {
  unsigned v = 0;
  const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return !p.empty() && ec == std::errc() && ptr == p.data() + p.size() && v <= 65535;
}

}  // namespace

CidrSet::CidrSet(const std::vector<std::string>& cidrs) {
  for (const auto& text : cidrs) {
    auto cidr = common::parse_cidr(text);
    if (!cidr) throw std::invalid_argument("trusted_proxies: not a CIDR: '" + text + "'");
    cidrs_.push_back(*cidr);
  }
}

bool CidrSet::contains(const IpAddress& address) const {
  for (const auto& c : cidrs_) {
    if (c.contains(address)) return true;
  }
  return false;
}

std::optional<IpAddress> parse_forwarded_element(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !valid_port(rest.substr(1)))) return std::nullopt;
    auto ip = common::parse_ip(text.substr(1, close - 1));
    if (!ip || !ip->is_v6()) return std::nullopt;
    return ip;
  }
  const auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // "1.2.3.4:5678": one colon can only be an IPv4 address with a port.
    if (!valid_port(text.substr(colon + 1))) return std::nullopt;
    auto ip = common::parse_ip(text.substr(0, colon));
    if (!ip || !ip->is_v4()) return std::nullopt;
    return ip;
  }
  return common::parse_ip(text);
}

IpAddress client_address(const IpAddress& peer, std::string_view xff, const CidrSet& trusted) {
  IpAddress current = common::normalize(peer);
  if (xff.empty() || !trusted.contains(current)) return current;
  std::size_t end = xff.size();
  while (true) {
    const auto comma = xff.rfind(',', end == 0 ? 0 : end - 1);
    const std::size_t begin = (comma == std::string_view::npos || comma >= end) ? 0 : comma + 1;
    const auto element = trim(xff.substr(begin, end - begin));
    if (!element.empty()) {  // empty list elements are allowed by the list syntax (RFC 9110 5.6.1)
      const auto ip = parse_forwarded_element(element);
      if (!ip) return current;
      current = *ip;
      if (!trusted.contains(current)) return current;
    }
    if (begin == 0) return current;
    end = begin - 1;
  }
}

IpAddress client_address(const IpAddress& peer, const boost::beast::http::fields& fields, const CidrSet& trusted) {
  std::string joined;
  const auto [first, last] = fields.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    if (!joined.empty()) joined += ',';
    joined.append(it->value().data(), it->value().size());
  }
  return client_address(peer, joined, trusted);
}

}  // namespace corral::auth
