#include "common/ip_network.hpp"

#include <charconv>
#include <string>

namespace corral::common {
namespace {

std::array<unsigned char, 16> to_v6_bytes(const IpAddress& address) {
  const IpAddress a = normalize(address);
  if (a.is_v4()) return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

IpAddress normalize(const IpAddress& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // Zone ids ("fe80::1%eth0") name an interface of the sender, meaningless here.
  if (a.is_v6() && a.to_v6().scope_id() != 0) return std::nullopt;
  return normalize(a);
}

bool Cidr::contains(const IpAddress& address) const {
  const auto b = to_v6_bytes(address);
  unsigned bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - take));
    if ((b[i] & mask) != (bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  text = trim_blanks(text);
  const auto slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const unsigned width = ip->is_v4() ? 32 : 128;
  unsigned prefix = width;
  if (slash != std::string_view::npos) {
    const auto p = text.substr(slash + 1);
    const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || prefix > width) return std::nullopt;
  }
  Cidr cidr;
  cidr.bytes = to_v6_bytes(*ip);
  cidr.prefix = prefix + (128 - width);
  // Host bits must be zero.
  for (unsigned bit = cidr.prefix; bit < 128; ++bit) {
    if (cidr.bytes[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
  }
  return cidr;
}

}  // namespace corral::common
