#include "lb/affinity_table.hpp"

#include <gtest/gtest.h>

#include "common/hash.hpp"

namespace corral::lb {
namespace {

using namespace std::chrono_literals;
using Clock = AffinityTable::Clock;

TEST(AffinityTable, RemembersWhileActiveAndForgetsAfterTtl) {
  AffinityTable table(30min);
  const Clock::time_point t{};
  const auto session = common::hash_key("session-42");
  EXPECT_FALSE(table.lookup(session, t));
  table.remember(session, 7, t);
  EXPECT_EQ(table.lookup(session, t + 29min), 7U);  // refreshes the TTL
  EXPECT_EQ(table.lookup(session, t + 58min), 7U);
  EXPECT_FALSE(table.lookup(session, t + 89min));   // idle for 31 minutes
  EXPECT_EQ(table.size(), 0U);
}

TEST(AffinityTable, MoveForgetAndSweep) {
  AffinityTable table(1min);
  const Clock::time_point t{};
  table.remember(1, 10, t);
  table.remember(1, 11, t);  // the old backend went away
  EXPECT_EQ(table.lookup(1, t), 11U);
  table.forget(1);
  EXPECT_FALSE(table.lookup(1, t));
  for (std::uint64_t k = 0; k < 100; ++k) table.remember(k, k, t);
  table.remember(1000, 1, t + 30s);
  EXPECT_EQ(table.sweep(t + 1min), 100U);
  EXPECT_EQ(table.size(), 1U);
}

TEST(AffinityTable, BoundedSize) {
  AffinityTable table(1h, /*max_entries=*/AffinityTable::kShards * 4);
  const Clock::time_point t{};
  for (std::uint64_t k = 0; k < 10'000; ++k) table.remember(common::mix64(k), 1, t + std::chrono::seconds(k));
  EXPECT_LE(table.size(), AffinityTable::kShards * 4);
  EXPECT_EQ(table.lookup(common::mix64(9'999), t + 10'000s), 1U);  // the newest entries stay
}

TEST(AffinityTable, AnEntryExpiresExactlyTtlAfterItsLastUse) {
  AffinityTable table(1min);
  const Clock::time_point t{};
  table.remember(5, 50, t);
  EXPECT_EQ(table.lookup(5, t + 1min - 1ns), 50U);  // last use: the TTL starts again from here
  EXPECT_FALSE(table.lookup(5, t + 2min - 1ns));    // exactly one TTL after that use
}

TEST(AffinityTable, AFullShardDropsExpiredEntriesBeforeTheSoonestLiveOne) {
  AffinityTable table(1min, /*max_entries=*/AffinityTable::kShards * 2);  // two per shard
  const Clock::time_point t{};
  const std::uint64_t k = AffinityTable::kShards;  // 0, k, 2k, 3k share one shard
  table.remember(0, 1, t);
  table.remember(k, 2, t + 50s);
  table.remember(2 * k, 3, t + 61s);  // the first has expired: it makes the room
  table.remember(3 * k, 4, t + 62s);  // none has: the one expiring soonest goes
  EXPECT_FALSE(table.lookup(0, t + 62s));
  EXPECT_FALSE(table.lookup(k, t + 62s));
  EXPECT_EQ(table.lookup(2 * k, t + 62s), 3U);
  EXPECT_EQ(table.lookup(3 * k, t + 62s), 4U);
}

}  // namespace
}  // namespace corral::lb
