// Model -> pool routing with glob rules (first match wins) and a default pool; the simulators' request
// counters show where each request went.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

TEST(GatewayRouting, ModelsGoToTheirPools) {
  auto small1 = start_sim({"llama3:8b=1GB", "qwen2:0.5b=400MB"});
  auto small2 = start_sim({"llama3:8b=1GB", "qwen2:0.5b=400MB"});
  auto big = start_sim({"llama3:70b=4GB", "llama3:70b-instruct=4GB"});
  const auto config = write_temp(
      "listen: 127.0.0.1:0\nthreads: 2\n"
      "pools:\n"
      "  - name: small\n    policy: round_robin\n    backends:\n      - url: " + small1.url() + "\n      - url: " + small2.url() + "\n"
      "  - name: big\n    backends:\n      - url: " + big.url() + "\n"
      "models:\n  - match: \"llama3:70b*\"\n    pool: big\n"
      "default_pool: small\n");
  Server gw({"serve", "-c", config});
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:70b", 1)).status, 200);
    ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:70b-instruct", 1)).status, 200);
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
    ASSERT_EQ(http_request(gw.address, "POST", "/api/chat",
                           R"({"model":"qwen2:0.5b","messages":[{"role":"user","content":"x"}],"stream":false})").status,
              200);
  }
  EXPECT_EQ(stat(big, "requests"), 6);
  EXPECT_EQ(stat(small1, "requests") + stat(small2, "requests"), 8);
  EXPECT_EQ(stat(small1, "requests"), 4);  // round robin over the small pool
  // The OpenAI path routes by the same rules.
  ASSERT_EQ(http_request(gw.address, "POST", "/v1/chat/completions",
                         R"({"model":"llama3:70b","messages":[{"role":"user","content":"x"}]})").status, 200);
  EXPECT_EQ(stat(big, "requests"), 7);
}

}  // namespace
}  // namespace corral::testing
