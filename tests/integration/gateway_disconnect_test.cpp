// A client that leaves closes its upstream connection at once, so the worker stops generating: the
// simulator counts the request as cancelled. Covered while streaming and while the model is loading
// (nothing written to the client yet).
#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

TEST(GatewayDisconnect, ClientLeavingMidStreamCancelsGeneration) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "10"});
  auto gw = start_quick({&sim});
  {
    HttpConnection c(gw.address);
    ASSERT_EQ(c.start("POST", "/api/generate", generate_body("llama3:8b", 1000, true)).status, 200);
    ASSERT_TRUE(c.next_line());
    ASSERT_TRUE(c.next_line());
    c.close();
  }
  EXPECT_TRUE(poll_until([&] { return stat(sim, "cancelled") >= 1; }));
  EXPECT_TRUE(poll_until([&] { return stat(sim, "active") == 0; }));
}

TEST(GatewayDisconnect, ClientLeavingDuringModelLoadCancels) {
  // 10 GB at 1 GB/s: the load takes long enough to leave during it.
  auto sim = Server({"sim", "--listen", "127.0.0.1:0", "--model", "big:70b=10GB", "--vram", "80GB", "--load-gbps", "1"});
  auto gw = start_quick({&sim});
  {
    HttpConnection c(gw.address);
    c.send_raw("POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(generate_body("big:70b", 5, true).size()) + "\r\n\r\n" + generate_body("big:70b", 5, true));
    ASSERT_TRUE(poll_until([&] { return !sim_stats(sim).at("loading").as_array().empty(); }));
    c.close();
  }
  EXPECT_TRUE(poll_until([&] { return stat(sim, "cancelled") + stat(sim, "load_aborts") >= 1; }));
}

}  // namespace
}  // namespace corral::testing
