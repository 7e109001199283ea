#include "auth/trusted_proxies.hpp"

#include <gtest/gtest.h>

namespace corral::auth {
namespace {

IpAddress ip(const char* s) { return boost::asio::ip::make_address(s); }

TEST(Cidr, ParsesV4AndV6) {
  const auto c = common::parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("10.255.1.2")));
  EXPECT_FALSE(c->contains(ip("11.0.0.1")));
  EXPECT_TRUE(c->contains(ip("::ffff:10.1.2.3")));  // dual-stack peer
  EXPECT_FALSE(c->contains(ip("::a01:203")));        // IPv4-compatible is not mapped
  const auto host = common::parse_cidr("192.168.1.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(ip("192.168.1.7")));
  EXPECT_FALSE(host->contains(ip("192.168.1.8")));
  const auto v6 = common::parse_cidr("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("fd12::1")));
  EXPECT_FALSE(v6->contains(ip("fe80::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));
  const auto all = common::parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains(ip("8.8.8.8")));
  EXPECT_FALSE(all->contains(ip("::1")));  // a v4 /0 is all of IPv4 only
  EXPECT_TRUE(common::parse_cidr("::/0")->contains(ip("8.8.8.8")));
  EXPECT_TRUE(common::parse_cidr("172.16.0.0/12")->contains(ip("172.31.255.255")));
  EXPECT_FALSE(common::parse_cidr("172.16.0.0/12")->contains(ip("172.32.0.0")));
}

TEST(Cidr, RejectsMalformed) {
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0.1/8", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1",
                          "::1/129", "fe80::1%eth0", "host.example", "10.0.0.0/8x", "1.2.3.4/ 8"}) {
    EXPECT_FALSE(common::parse_cidr(bad)) << bad;
  }
  EXPECT_THROW(CidrSet({"10.0.0.0/8", "nope"}), std::invalid_argument);
}

TEST(ForwardedElement, PortsAndBrackets) {
  EXPECT_EQ(parse_forwarded_element(" 1.2.3.4 "), ip("1.2.3.4"));
  EXPECT_EQ(parse_forwarded_element("1.2.3.4:8080"), ip("1.2.3.4"));
  EXPECT_EQ(parse_forwarded_element("[2001:db8::1]:443"), ip("2001:db8::1"));
  EXPECT_EQ(parse_forwarded_element("[2001:db8::1]"), ip("2001:db8::1"));
  EXPECT_EQ(parse_forwarded_element("2001:db8::1"), ip("2001:db8::1"));
  EXPECT_EQ(parse_forwarded_element("::ffff:1.2.3.4"), ip("1.2.3.4"));
  for (const char* bad : {"", "unknown", "1.2.3.4:99999", "[1.2.3.4]", "[::1", "1.2.3.4:", "_hidden"}) {
    EXPECT_FALSE(parse_forwarded_element(bad)) << bad;
  }
}

TEST(ClientAddress, UntrustedPeerIsTheClient) {
  const CidrSet trusted({"10.0.0.0/8"});
  EXPECT_EQ(client_address(ip("203.0.113.9"), "1.1.1.1", trusted), ip("203.0.113.9"));
  EXPECT_EQ(client_address(ip("10.0.0.5"), "", trusted), ip("10.0.0.5"));
  EXPECT_EQ(client_address(ip("10.0.0.5"), "1.1.1.1", CidrSet{}), ip("10.0.0.5"));
}

TEST(ClientAddress, RightmostUntrusted) {
  const CidrSet trusted({"10.0.0.0/8", "fd00::/8"});
  EXPECT_EQ(client_address(ip("10.0.0.5"), "198.51.100.7", trusted), ip("198.51.100.7"));
  // The client forged the left part; our proxy appended the real address on the right.
  EXPECT_EQ(client_address(ip("10.0.0.5"), "6.6.6.6, 198.51.100.7", trusted), ip("198.51.100.7"));
  // Two trusted hops.
  EXPECT_EQ(client_address(ip("10.0.0.5"), "6.6.6.6, 198.51.100.7, 10.1.1.1", trusted), ip("198.51.100.7"));
  EXPECT_EQ(client_address(ip("::ffff:10.0.0.5"), "2001:db8::7, fd00::1", trusted), ip("2001:db8::7"));
  // Every hop trusted: the leftmost.
  EXPECT_EQ(client_address(ip("10.0.0.5"), "10.9.9.9, 10.1.1.1", trusted), ip("10.9.9.9"));
  // Garbage stops the walk at the hop that appended it.
  EXPECT_EQ(client_address(ip("10.0.0.5"), "1.1.1.1, garbage, 10.1.1.1", trusted), ip("10.1.1.1"));
  EXPECT_EQ(client_address(ip("10.0.0.5"), "garbage", trusted), ip("10.0.0.5"));
  // Empty list elements are skipped.
  EXPECT_EQ(client_address(ip("10.0.0.5"), ", 198.51.100.7 ,,", trusted), ip("198.51.100.7"));
  EXPECT_EQ(client_address(ip("10.0.0.5"), ",", trusted), ip("10.0.0.5"));
}

TEST(ClientAddress, SeveralHeaderFieldsJoinInOrder) {
  const CidrSet trusted({"10.0.0.0/8"});
  boost::beast::http::fields f;
  f.insert("X-Forwarded-For", "6.6.6.6");
  f.insert("X-Forwarded-For", "198.51.100.7, 10.2.2.2");
  EXPECT_EQ(client_address(ip("10.0.0.5"), f, trusted), ip("198.51.100.7"));
  boost::beast::http::fields none;
  EXPECT_EQ(client_address(ip("10.0.0.5"), none, trusted), ip("10.0.0.5"));
}

}  // namespace
}  // namespace corral::auth
