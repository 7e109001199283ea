// Admission: one slot per backend and a queue of one. While a long stream holds the slot, of two more
// requests one waits in the queue and the other is refused at once with 503, a Retry-After and an
// Ollama-shaped error (OpenAI-shaped on /v1); the queued one runs when the slot frees.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

TEST(GatewayQueue, FullQueueAnswers503WithRetryAfter) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "10"});
  const auto config = write_temp("listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n    backends:\n      - url: " +
                                 sim.url() + "\n        max_inflight: 1\nqueue: {max_length: 1, timeout: 60s}\n");
  Server gw({"serve", "-c", config});
  HttpConnection running(gw.address);
  ASSERT_EQ(running.start("POST", "/api/generate", generate_body("llama3:8b", 500, true)).status, 200);
  ASSERT_TRUE(running.next_line());

  std::atomic<int> done{0};
  HttpResponse results[2];
  std::vector<std::thread> extra;
  for (int i = 0; i < 2; ++i) {
    extra.emplace_back([&, i] {
      try {
        results[i] = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1));
      } catch (const std::exception&) {
      }
      done.fetch_add(1);
    });
  }
  // One of the two is refused while the stream still holds the only slot.
  ASSERT_TRUE(poll_until([&] { return done.load() == 1; }));
  const HttpResponse& refused = results[0].status == 503 ? results[0] : results[1];
  ASSERT_EQ(refused.status, 503);
  EXPECT_GE(std::stoi(refused.header("retry-after")), 1);
  EXPECT_NE(parse_json(refused.body).as_object().at("error").as_string().size(), 0u);
  const auto openai = http_request(gw.address, "POST", "/v1/chat/completions",
                                   R"({"model":"llama3:8b","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(openai.status, 503);
  EXPECT_EQ(parse_json(openai.body).as_object().at("error").as_object().at("type").as_string(), "api_error");
  EXPECT_EQ(stat(sim, "requests"), 1);  // neither the queued nor the refused ones reached the worker

  running.close();  // frees the slot: the queued request runs
  for (auto& t : extra) t.join();
  EXPECT_EQ(results[0].status + results[1].status, 200 + 503);
}

}  // namespace
}  // namespace corral::testing
