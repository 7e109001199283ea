// corral sim's prompt cache seen from a client: a conversation's next turn reuses the previous turn's
// prompt (prompt_eval_count stays the whole prompt, /sim/stats prompt_tokens_cached grows by what was
// reused, OpenAI usage says it in prompt_tokens_details), a different conversation reuses nothing, with
// --cache-ram 0 conversations beyond the slots evict each other while the default host cache keeps them,
// and unloading the model drops its cache. Assertions are on counts only.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/sim.hpp"

namespace {

using namespace corral::testing;
namespace json = boost::json;

struct Turn {
  std::int64_t prompt_eval_count = 0;
  std::string reply;
};

// One non-streamed /api/chat call; `messages` is the JSON array of the whole history.
Turn chat(const std::string& address, const json::array& messages) {
  json::object body{{"model", "m:1b"}, {"stream", false}, {"messages", messages}, {"options", {{"num_predict", 5}}}};
  const HttpResponse r = http_post(address, "/api/chat", json::serialize(body));
  EXPECT_EQ(r.status, 200) << r.body;
  const json::object o = json::parse(r.body).as_object();
  return {o.at("prompt_eval_count").as_int64(), json::value_to<std::string>(o.at("message").at("content"))};
}

json::object message(const char* role, const std::string& content) { return {{"role", role}, {"content", content}}; }

std::int64_t cached(const std::string& address) { return stat(address, "prompt_tokens_cached"); }

TEST(SimPromptCache, EachTurnReusesThePreviousTurnsPromptAndOtherConversationsNothing) {
  auto sim = start_sim({"m:1b=1GB"});
  const auto& a = sim.address;
  json::array history{message("system", "You answer in one short sentence."),
                      message("user", "What is the capital of France?")};
  const Turn t1 = chat(a, history);
  EXPECT_EQ(cached(a), 0) << "a cold model";
  EXPECT_EQ(stat(a, "prompt_tokens"), t1.prompt_eval_count);

  history.push_back(message("assistant", t1.reply));
  history.push_back(message("user", "And of Italy?"));
  const Turn t2 = chat(a, history);
  EXPECT_GT(t2.prompt_eval_count, t1.prompt_eval_count) << "the count is the whole prompt, history included";
  EXPECT_EQ(cached(a), t1.prompt_eval_count) << "the first turn's prompt came from the cache";

  history.push_back(message("assistant", t2.reply));
  history.push_back(message("user", "And of Spain?"));
  const Turn t3 = chat(a, history);
  EXPECT_GT(t3.prompt_eval_count, t2.prompt_eval_count);
  EXPECT_EQ(cached(a), t1.prompt_eval_count + t2.prompt_eval_count);
  EXPECT_EQ(stat(a, "prompt_tokens"), t1.prompt_eval_count + t2.prompt_eval_count + t3.prompt_eval_count);

  const Turn other = chat(a, json::array{message("user", "Tell me a joke about compilers.")});
  EXPECT_EQ(cached(a), t1.prompt_eval_count + t2.prompt_eval_count) << "a different conversation: no hit";

  // The same conversation over the OpenAI API: the same model, the same cache.
  history.push_back(message("assistant", t3.reply));
  history.push_back(message("user", "And of Portugal?"));
  const json::object body{{"model", "m:1b"}, {"messages", history}, {"max_tokens", 3}};
  const HttpResponse r = http_post(a, "/v1/chat/completions", json::serialize(body));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::object usage = json::parse(r.body).at("usage").as_object();
  EXPECT_GT(usage.at("prompt_tokens").as_int64(), t3.prompt_eval_count);
  EXPECT_EQ(usage.at("prompt_tokens_details").at("cached_tokens").as_int64(), t3.prompt_eval_count);
  EXPECT_EQ(stat(a, "prompt_tokens"), t1.prompt_eval_count + t2.prompt_eval_count + t3.prompt_eval_count +
                                          other.prompt_eval_count + usage.at("prompt_tokens").as_int64());
}

// Two conversations taking turns on a model with one slot: A1, B1, A2, B2.
std::vector<std::int64_t> alternate(const std::string& address) {
  std::vector<std::int64_t> cached_after;
  json::array a{message("user", "List three prime numbers.")};
  json::array b{message("user", "Name two rivers in Asia.")};
  const Turn a1 = chat(address, a);
  cached_after.push_back(cached(address));
  const Turn b1 = chat(address, b);
  cached_after.push_back(cached(address));
  a.push_back(message("assistant", a1.reply));
  a.push_back(message("user", "One more?"));
  (void)chat(address, a);
  cached_after.push_back(cached(address));
  b.push_back(message("assistant", b1.reply));
  b.push_back(message("user", "One more?"));
  (void)chat(address, b);
  cached_after.push_back(cached(address));
  return cached_after;
}

TEST(SimPromptCache, WithCacheRamZeroConversationsBeyondTheSlotsMissEveryTurn) {
  auto sim = start_sim({"m:1b=1GB"}, {"--num-parallel", "1", "--cache-ram", "0"});
  EXPECT_EQ(alternate(sim.address), (std::vector<std::int64_t>{0, 0, 0, 0}))
      << "each turn found the other conversation in the only slot";
  EXPECT_GT(stat(sim, "prompt_tokens"), 0);
}

TEST(SimPromptCache, TheHostCacheKeepsTheConversationTheSlotGaveUp) {
  auto sim = start_sim({"m:1b=1GB"}, {"--num-parallel", "1"});
  const auto after = alternate(sim.address);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0], 0);
  EXPECT_EQ(after[1], 0);
  EXPECT_GT(after[2], after[1]) << "A's first prompt came back from the host cache";
  EXPECT_GT(after[3], after[2]) << "and so did B's";
}

TEST(SimPromptCache, UnloadingTheModelDropsItsCache) {
  auto sim = start_sim({"m:1b=1GB"});
  const auto& a = sim.address;
  const json::array conversation{message("user", "Remember this sentence for later, please.")};
  const Turn first = chat(a, conversation);
  (void)chat(a, conversation);
  EXPECT_EQ(cached(a), first.prompt_eval_count - 1) << "a repeated prompt re-evaluates only its last token";
  const HttpResponse unload = http_post(a, "/api/chat", R"({"model":"m:1b","messages":[],"keep_alive":0})");
  ASSERT_EQ(unload.status, 200) << unload.body;
  ASSERT_TRUE(poll_until([&] { return stat(a, "unloads") == 1; }));
  (void)chat(a, conversation);
  EXPECT_EQ(cached(a), first.prompt_eval_count - 1) << "the reloaded model starts cold";
  EXPECT_EQ(stat(a, "loads"), 2);
}

}  // namespace
