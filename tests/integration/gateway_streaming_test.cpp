// Streaming through the gateway: NDJSON lines and SSE events arrive one by one (the first line is read
// while the simulator is still generating), the stream ends with done:true / [DONE], and the
// non-streamed answer is the simulator's own JSON.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

TEST(GatewayStreaming, NdjsonLinesArriveOneByOne) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "20"});
  auto gw = start_quick({&sim});
  HttpConnection c(gw.address);
  ASSERT_EQ(c.start("POST", "/api/generate", generate_body("llama3:8b", 10, true)).status, 200);
  const auto first = c.next_line();
  ASSERT_TRUE(first);
  // Read while the simulator still generates the rest: nothing was buffered until the end.
  EXPECT_GE(stat(sim, "active"), 1);
  int lines = 1;
  std::string last = *first;
  while (auto l = c.next_line()) {
    ++lines;
    last = *l;
  }
  EXPECT_TRUE(c.body_complete());
  EXPECT_EQ(lines, 11);  // 10 tokens + the final object
  EXPECT_NE(last.find("\"done\":true"), std::string::npos) << last;
  EXPECT_EQ(parse_json(*first).as_object().at("model").as_string(), "llama3:8b");
}

TEST(GatewayStreaming, NonStreamedAndSse) {
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim});
  const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 4));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse_json(r.body).as_object().at("done").as_bool(), true);
  EXPECT_FALSE(r.header("x-request-id").empty());

  HttpConnection c(gw.address);
  ASSERT_EQ(c.start("POST", "/v1/chat/completions",
                    R"({"model":"llama3:8b","messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":3})").status,
            200);
  std::vector<std::string> events;
  while (auto l = c.next_line()) {
    if (l->rfind("data: ", 0) == 0) events.push_back(*l);
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "data: [DONE]");

  const auto echoed = http_request(gw.address, "GET", "/", "", {{"X-Request-ID", "my-id-1"}});
  EXPECT_EQ(echoed.status, 200);
  EXPECT_EQ(echoed.body, "Ollama is running");
  EXPECT_EQ(echoed.header("x-request-id"), "my-id-1");
}

TEST(GatewayStreaming, BackendDeathMidStreamIsVisibleToTheClient) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "50"});
  auto gw = start_quick({&sim});
  ASSERT_EQ(http_request(sim.address, "POST", "/sim/fault", R"({"close_after_chunks":3})").status, 200);
  HttpConnection c(gw.address);
  ASSERT_EQ(c.start("POST", "/api/generate", generate_body("llama3:8b", 20, true)).status, 200);
  std::vector<std::string> lines;
  while (auto l = c.next_line()) lines.push_back(*l);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(c.cut());  // no terminal chunk
  EXPECT_FALSE(c.body_complete());
  EXPECT_NE(lines.back().find("\"error\""), std::string::npos) << lines.back();
  for (const auto& l : lines) EXPECT_EQ(l.find("\"done\":true"), std::string::npos) << l;
}

}  // namespace
}  // namespace corral::testing
