// Session affinity: requests with the same session header stick to one worker (even under round robin)
// while it stays healthy; different sessions still spread.
#include <set>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

TEST(GatewayAffinity, SessionHeaderSticks) {
  auto a = start_sim({"llama3:8b=1GB"});
  auto b = start_sim({"llama3:8b=1GB"});
  const auto config = write_temp("listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n    policy: round_robin\n"
                                 "    backends:\n      - url: " + a.url() + "\n      - url: " + b.url() +
                                 "\naffinity: {header: X-Session-ID, ttl: 30m}\n");
  Server gw({"serve", "-c", config});
  std::set<int> sides;
  for (const char* session : {"s1", "s2", "s3", "s4", "s5", "s6"}) {
    const auto before_a = stat(a, "requests");
    const auto before_b = stat(b, "requests");
    for (int i = 0; i < 6; ++i) {
      ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1), {{"X-Session-ID", session}}).status, 200);
    }
    const auto da = stat(a, "requests") - before_a;
    const auto db = stat(b, "requests") - before_b;
    EXPECT_TRUE((da == 6 && db == 0) || (da == 0 && db == 6)) << session << " " << da << "/" << db;
    sides.insert(da == 6 ? 0 : 1);
  }
  // Without a session header, round robin alternates.
  const auto before_a = stat(a, "requests");
  for (int i = 0; i < 4; ++i) ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
  EXPECT_EQ(stat(a, "requests") - before_a, 2);
}

}  // namespace
}  // namespace corral::testing
