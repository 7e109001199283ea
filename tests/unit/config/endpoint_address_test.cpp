#include "config/endpoint_address.hpp"

#include <gtest/gtest.h>

namespace corral::config {
namespace {

TEST(EndpointAddress, HostPort) {
  auto hp = parse_host_port("127.0.0.1:11434");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 11434);
  hp = parse_host_port("[::1]:0");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 0);
  hp = parse_host_port(":8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "");
  EXPECT_FALSE(parse_host_port("localhost"));
  EXPECT_FALSE(parse_host_port("localhost:"));
  EXPECT_FALSE(parse_host_port("localhost:65536"));
  EXPECT_FALSE(parse_host_port("local host:1"));
  EXPECT_FALSE(parse_host_port("[::1:1"));
  EXPECT_FALSE(parse_host_port("::1:80"));
}

TEST(EndpointAddress, BackendUrls) {
  BackendConfig b;
  EXPECT_FALSE(parse_backend_url("http://gpu1:11434", b));
  EXPECT_EQ(b.host, "gpu1");
  EXPECT_EQ(b.port, 11434);
  EXPECT_FALSE(b.tls);
  EXPECT_EQ(b.path_prefix, "");
  EXPECT_FALSE(parse_backend_url("HTTPS://gpu1/prefix//", b));
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.port, 443);
  EXPECT_EQ(b.path_prefix, "/prefix");
  EXPECT_EQ(default_backend_name(b), "gpu1:443/prefix");
  EXPECT_FALSE(parse_backend_url("http://[::1]", b));
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 80);
  EXPECT_EQ(default_backend_name(b), "[::1]:80");
  EXPECT_TRUE(parse_backend_url("gpu1:11434", b));
  EXPECT_TRUE(parse_backend_url("http://user@gpu1:1", b));
  EXPECT_TRUE(parse_backend_url("http://gpu1:1/?q=1", b));
  EXPECT_TRUE(parse_backend_url("http://gpu1:1#x", b));
  EXPECT_TRUE(parse_backend_url("http://:1", b));
  EXPECT_TRUE(parse_backend_url("http://gpu1:0", b));
  EXPECT_TRUE(parse_backend_url("http://gpu1:x", b));
}

TEST(ConfigPolicyNames, RoundTrip) {
  for (Policy p : {Policy::kRoundRobin, Policy::kLeastConnections, Policy::kPowerOfTwo, Policy::kConsistentHash,
                   Policy::kModelAware}) {
    EXPECT_EQ(policy_from_string(to_string(p)), p);
  }
  EXPECT_FALSE(policy_from_string("leastconn"));
}

}  // namespace
}  // namespace corral::config
