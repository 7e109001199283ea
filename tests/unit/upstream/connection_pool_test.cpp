// The pool's pruning, on connections that never connect (the pool keeps and closes them without
// touching the socket): a backend that left the configuration loses its idle connections and gets
// none back later, one that stays keeps them, and connections go oldest first once past the age limit.
#include "upstream/connection_pool.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace corral::upstream {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

struct ConnectionPoolTest : ::testing::Test {
  net::io_context io;
  ConnectionPool pool;
  ConnectionPtr fresh() { return std::make_unique<UpstreamConnection>(io.get_executor()); }
};

TEST_F(ConnectionPoolTest, BeforeAnyPruneEveryBackendKeepsItsConnections) {
  pool.give_back(7, fresh());
  pool.give_back(8, fresh());
  EXPECT_EQ(pool.idle_count(), 2U);
}

TEST_F(ConnectionPoolTest, ABackendNoLongerLiveLosesItsConnectionsAndGetsNoneBack) {
  pool.give_back(1, fresh());
  pool.give_back(2, fresh());
  pool.give_back(2, fresh());
  const std::array<std::uint64_t, 1> only_one{1};
  EXPECT_EQ(pool.prune(only_one, steady_now(), hours(1)), 2U);
  EXPECT_EQ(pool.idle_count(), 1U);  // backend 1 stayed: its connection stays
  // A request that was still running on backend 2 hands its connection back only now.
  pool.give_back(2, fresh());
  EXPECT_EQ(pool.idle_count(), 1U);
  // A backend added since the last prune is not known here yet: its connection goes too (once).
  pool.give_back(3, fresh());
  EXPECT_EQ(pool.idle_count(), 1U);
  const std::array<std::uint64_t, 2> one_and_three{1, 3};
  EXPECT_EQ(pool.prune(one_and_three, steady_now(), hours(1)), 0U);
  pool.give_back(3, fresh());
  pool.give_back(1, fresh());
  EXPECT_EQ(pool.idle_count(), 3U);
}

TEST_F(ConnectionPoolTest, ConnectionsPastTheIdleLimitCloseOldestFirst) {
  const std::array<std::uint64_t, 1> live{1};
  EXPECT_EQ(pool.prune(live, steady_now(), seconds(30)), 0U);
  pool.give_back(1, fresh());
  const auto between = steady_now();
  while (steady_now() == between) {
  }
  pool.give_back(1, fresh());
  // At `between` + 30 s the first is 30 s idle (closed), the second a little less (kept).
  EXPECT_EQ(pool.prune(live, between + seconds(30), seconds(30)), 1U);
  EXPECT_EQ(pool.idle_count(), 1U);
  EXPECT_EQ(pool.prune(live, between + hours(1), seconds(30)), 1U);
  EXPECT_EQ(pool.idle_count(), 0U);
  pool.give_back(1, fresh());  // a live backend's stack stays for its next connection
  EXPECT_EQ(pool.idle_count(), 1U);
}

TEST_F(ConnectionPoolTest, CheckoutTakesTheNewestLiveConnectionOfItsBackend) {
  auto conn = fresh();
  conn->stream.socket().open(tcp::v4());  // open, and given back just now: trusted without the peek
  UpstreamConnection* const raw = conn.get();
  pool.give_back(1, fresh());  // never opened: discarded by the check
  pool.give_back(1, std::move(conn));
  const std::array<std::uint64_t, 1> live{1};
  (void)pool.prune(live, steady_now(), hours(1));
  EXPECT_EQ(pool.checkout(2), nullptr);
  ConnectionPtr out = pool.checkout(1);
  ASSERT_EQ(out.get(), raw);
  EXPECT_TRUE(out->reused);
  EXPECT_EQ(pool.checkout(1), nullptr);
  EXPECT_EQ(pool.idle_count(), 0U);
}

}  // namespace
}  // namespace corral::upstream
