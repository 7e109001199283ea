// The recent-errors ring keeps the last kCapacity entries, oldest first.
#include <gtest/gtest.h>

#include "observe/recent_errors.hpp"

namespace corral::observe {
namespace {

TEST(RecentErrors, KeepsTheLastEntriesOldestFirst) {
  RecentErrors r;
  EXPECT_TRUE(r.list().empty());
  for (int i = 0; i < 3; ++i) r.add(ErrorEntry{i, 500 + i, "k", "m", "b", "x"});
  auto l = r.list();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l.front().time_unix_ms, 0);
  EXPECT_EQ(l.back().status, 502);
  for (int i = 3; i < 130; ++i) r.add(ErrorEntry{i, 503, "k", "m", "b", "x"});
  l = r.list();
  ASSERT_EQ(l.size(), RecentErrors::kCapacity);
  EXPECT_EQ(l.front().time_unix_ms, 130 - static_cast<int>(RecentErrors::kCapacity));
  EXPECT_EQ(l.back().time_unix_ms, 129);
}

}  // namespace
}  // namespace corral::observe
