// Upstream connections are kept alive and reused: many requests, over one client connection and over
// fresh client connections, open only a handful of connections to the worker (the simulator counts them).
#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

TEST(GatewayReuse, FewUpstreamConnectionsForManyRequests) {
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim}, 2);
  ASSERT_TRUE(wait_ready(gw));  // health checks and the model poll have their connections by now
  const auto before = stat(sim, "connections_opened");  // counts this stats request too
  HttpConnection keepalive(gw.address);
  for (int i = 0; i < 40; ++i) {
    const auto r = keepalive.request("POST", "/api/generate", generate_body("llama3:8b", 1));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.keep_alive);
  }
  for (int i = 0; i < 20; ++i) ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
  // At most one connection per worker thread for the sequential data path, plus one for a health probe
  // overlapping a model poll on the control thread; the stats request below counts itself.
  const auto opened = stat(sim, "connections_opened") - before - 1;
  EXPECT_LE(opened, 3);
  EXPECT_EQ(stat(sim, "requests"), 60);
}

}  // namespace
}  // namespace corral::testing
