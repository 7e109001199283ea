// SIGTERM drains: no new connections, the stream in flight finishes with its final line, an idle
// keep-alive connection is closed, and the process exits 0.
#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

TEST(GatewayDrain, InFlightFinishesThenExitZero) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "20"});
  auto gw = start_quick({&sim});
  HttpConnection idle(gw.address);
  ASSERT_EQ(idle.request("GET", "/api/version").status, 200);
  HttpConnection streaming(gw.address);
  ASSERT_EQ(streaming.start("POST", "/api/generate", generate_body("llama3:8b", 20, true)).status, 200);
  ASSERT_TRUE(streaming.next_line());
  gw.process->signal(SIGTERM);
  EXPECT_TRUE(idle.peer_closed());
  int lines = 1;
  std::string last;
  while (auto l = streaming.next_line()) {
    ++lines;
    last = *l;
  }
  EXPECT_TRUE(streaming.body_complete());
  EXPECT_EQ(lines, 21);
  EXPECT_NE(last.find("\"done\":true"), std::string::npos);
  EXPECT_EQ(gw.process->wait(), 0);
  EXPECT_THROW(HttpConnection{gw.address}, std::exception);
}

}  // namespace
}  // namespace corral::testing
