#include "config/redis_config.hpp"

#include <gtest/gtest.h>

#include "shared_state/rate_limit_script.hpp"

namespace corral::shared_state {
namespace {

TEST(RedisUrl, Forms) {
  std::string error;
  auto ep = config::parse_redis_url("redis://cache.internal", error);
  ASSERT_TRUE(ep) << error;
  EXPECT_EQ(ep->host, "cache.internal");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);
  ep = config::parse_redis_url("redis://:s3cret@10.0.0.5:6380/2", error);
  ASSERT_TRUE(ep) << error;
  EXPECT_EQ(ep->host, "10.0.0.5");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(ep->password, "s3cret");
  ep = config::parse_redis_url("redis://user:pw@[::1]:7000/", error);
  ASSERT_TRUE(ep) << error;
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 7000);
  EXPECT_EQ(ep->password, "pw");
  ep = config::parse_redis_url("redis://[::1]", error);
  ASSERT_TRUE(ep) << error;
  EXPECT_EQ(ep->port, 6379);
  ep = config::parse_redis_url("unix:///run/redis.sock?db=3", error);
  ASSERT_TRUE(ep) << error;
  EXPECT_EQ(ep->unix_path, "/run/redis.sock");
  EXPECT_EQ(ep->db, 3);
}

TEST(RedisUrl, Rejects) {
  for (const char* bad : {"", "http://x", "rediss://x:6379", "redis://", "redis://:6379", "redis://h:0",
                          "redis://h:99999", "redis://h:x", "redis://h/abc", "redis://[::1", "unix://relative",
                          "unix:///s?foo=1", "redis://h:"}) {
    std::string error;
    EXPECT_FALSE(config::parse_redis_url(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(RateLimitScript, ArgvSkipsDisabledOpsAndMapsBack) {
  std::vector<ratelimit::BucketOp> ops{
      {"ip:1.2.3.4:req", {100, 10}, 1},
      {"off", {0, 0}, 1},
      {"key:k:tok", {600, 10}, 250, ratelimit::BucketOp::Kind::kCharge},
  };
  std::vector<std::size_t> map;
  const auto argv = rate_limit_argv(ops, "corral:", false, map);
  ASSERT_EQ(map, (std::vector<std::size_t>{0, 2}));
  ASSERT_EQ(argv.size(), 3u + 2u + 8u);
  EXPECT_EQ(argv[0], "EVALSHA");
  EXPECT_EQ(argv[1], rate_limit_script_sha());
  EXPECT_EQ(argv[1].size(), 40u);
  EXPECT_EQ(argv[2], "2");
  EXPECT_EQ(argv[3], "corral:ip:1.2.3.4:req");
  EXPECT_EQ(argv[4], "corral:key:k:tok");
  EXPECT_EQ(argv[5], "100");
  EXPECT_EQ(argv[6], "0.01");
  EXPECT_EQ(argv[7], "1");
  EXPECT_EQ(argv[8], "t");
  EXPECT_EQ(argv[11], "250");
  EXPECT_EQ(argv[12], "c");
  const auto eval = rate_limit_argv(ops, "corral:", true, map);
  EXPECT_EQ(eval[0], "EVAL");
  EXPECT_EQ(eval[1], rate_limit_script());
}

RedisReply ints(long long a, long long b) {
  RedisReply r;
  r.type = RedisReply::Type::kArray;
  r.elements.resize(2);
  r.elements[0].type = r.elements[1].type = RedisReply::Type::kInteger;
  r.elements[0].integer = a;
  r.elements[1].integer = b;
  return r;
}

TEST(RateLimitScript, DecodesReplies) {
  const std::vector<std::size_t> map{0, 2};
  auto d = decode_rate_limit_reply(ints(0, 0), map);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->allowed);
  d = decode_rate_limit_reply(ints(2, 1500), map);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->refused_by, 2u);
  EXPECT_EQ(d->retry_after, std::chrono::seconds(2));
  d = decode_rate_limit_reply(ints(1, 0), map);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->retry_after, std::chrono::seconds(1));
  EXPECT_FALSE(decode_rate_limit_reply(ints(3, 0), map));
  EXPECT_FALSE(decode_rate_limit_reply(ints(-1, 0), map));
  EXPECT_FALSE(decode_rate_limit_reply(RedisReply{}, map));
  RedisReply noscript;
  noscript.type = RedisReply::Type::kError;
  noscript.str = "NOSCRIPT No matching script. Please use EVAL.";
  EXPECT_TRUE(is_noscript(noscript));
  noscript.str = "ERR something";
  EXPECT_FALSE(is_noscript(noscript));
}

}  // namespace
}  // namespace corral::shared_state
