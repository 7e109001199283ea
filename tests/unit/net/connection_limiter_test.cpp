// Connection caps: per address and in total, released when the ticket goes, counted when refused.
#include <gtest/gtest.h>

#include "net/connection_limiter.hpp"

namespace corral::netio {
namespace {

TEST(ConnectionLimiter, CapsPerAddressAndInTotal) {
  auto limiter = std::make_shared<ConnectionLimiter>();
  auto a1 = limiter->try_open("10.0.0.1", 3, 2);
  auto a2 = limiter->try_open("10.0.0.1", 3, 2);
  EXPECT_TRUE(a1 && a2);
  EXPECT_EQ(limiter->try_open("10.0.0.1", 3, 2), nullptr);  // per address
  auto b1 = limiter->try_open("10.0.0.2", 3, 2);
  EXPECT_TRUE(b1);
  EXPECT_EQ(limiter->try_open("10.0.0.3", 3, 2), nullptr);  // total
  EXPECT_EQ(limiter->open(), 3u);
  EXPECT_EQ(limiter->refused(), 2u);
  a1.reset();
  EXPECT_EQ(limiter->open(), 2u);
  EXPECT_TRUE(limiter->try_open("10.0.0.1", 3, 2));  // the slot came back (and goes again at once)
  EXPECT_TRUE(limiter->try_open("10.0.0.9", 0, 0));  // 0 = no cap
}

}  // namespace
}  // namespace corral::netio
