// The simulator's prompt cache as a structure: the longest common prefix per slot, a slot chosen by
// similarity over 10 % else a fresh or the least recently used one, the host cache that takes what a slot
// gives up and gives it back, its budget of --cache-ram at --kv-per-token a token (oldest out first), no
// host cache at all with --cache-ram 0, and the cache going with its model when the scheduler unloads it.
#include "sim/prompt_cache.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sim/scheduler.hpp"

namespace corral::sim {
namespace {

using namespace std::chrono_literals;

// `n` tokens of text that starts with `tag` (so prompts with different tags share no token).
std::string prompt_of(char tag, std::size_t n) {
  std::string s(n * kTokenBytes, '.');
  for (std::size_t i = 0; i < s.size(); i += kTokenBytes) s[i] = tag;
  s[1] = static_cast<char>('a' + n % 26);
  return s;
}

constexpr std::uint64_t kKiB = 1024;

PromptCacheConfig slots_only(int slots) { return {slots, 0, 128 * kKiB}; }
// A host cache of `tokens` tokens at 1 KiB a token.
PromptCacheConfig with_host(int slots, std::uint64_t tokens) { return {slots, tokens * kKiB, kKiB}; }

// Acquires and releases at once; returns what the prompt reused.
PromptHit serve(PromptCache& c, const std::string& prompt) {
  const PromptHit h = c.acquire(prompt);
  c.release(h.slot);
  return h;
}

TEST(SimPromptCacheStructure, CommonPrefixCountsWholeTokens) {
  EXPECT_EQ(common_prefix_tokens("abcdefgh", "abcdefgh"), 2u);
  EXPECT_EQ(common_prefix_tokens("abcdefgh", "abcdefgX"), 1u) << "a token differing in one byte is not shared";
  EXPECT_EQ(common_prefix_tokens("abcd", "abcdefgh"), 1u);
  EXPECT_EQ(common_prefix_tokens("", "abcd"), 0u);
  std::string a(4000, 'x');
  std::string b = a;
  b[2001] = 'y';
  EXPECT_EQ(common_prefix_tokens(a, b), 500u) << "past the 64-byte strides";
}

TEST(SimPromptCacheStructure, ASlotReusesTheLongestCommonPrefixOfItsLastPrompt) {
  PromptCache c(slots_only(1));
  const std::string turn1 = prompt_of('a', 8);
  const std::string turn2 = turn1 + prompt_of('b', 4);
  EXPECT_EQ(serve(c, turn1).cached, 0u) << "a cold cache";
  EXPECT_EQ(c.slot_tokens(0), 8u);
  EXPECT_EQ(serve(c, turn2).cached, 8u) << "the history is the previous prompt";
  EXPECT_EQ(c.slot_tokens(0), 12u);
  EXPECT_EQ(serve(c, turn2).cached, 11u) << "a whole match still evaluates the last token";
  EXPECT_EQ(serve(c, turn1).cached, 7u) << "a prefix of what the slot holds";
}

TEST(SimPromptCacheStructure, APromptGoesToTheSlotWithTheLongestPrefix) {
  PromptCache c(slots_only(3));
  const std::string a = prompt_of('a', 10);
  const std::string b = prompt_of('b', 10);
  const PromptHit ha = c.acquire(a);
  const PromptHit hb = c.acquire(b);
  ASSERT_NE(ha.slot, hb.slot) << "a busy slot is never shared";
  c.release(ha.slot);
  c.release(hb.slot);
  const PromptHit again = serve(c, b + prompt_of('c', 2));
  EXPECT_EQ(again.slot, hb.slot);
  EXPECT_EQ(again.cached, 10u);
  EXPECT_EQ(c.slot_tokens(ha.slot), 10u) << "the other conversation's slot is untouched";
}

TEST(SimPromptCacheStructure, AnUnrelatedPromptTakesAFreshSlotThenTheLeastRecentlyUsed) {
  PromptCache c(slots_only(2));
  const std::string a = prompt_of('a', 6);
  const std::string b = prompt_of('b', 6);
  const std::string x = prompt_of('x', 6);
  const PromptHit ha = serve(c, a);
  const PromptHit hb = serve(c, b);
  EXPECT_NE(ha.slot, hb.slot) << "a never-used slot before any used one";
  EXPECT_EQ(serve(c, a).cached, 5u);  // a is now the more recently used
  const PromptHit hx = serve(c, x);
  EXPECT_EQ(hx.slot, hb.slot) << "the least recently used slot gives way";
  EXPECT_EQ(hx.cached, 0u);
  EXPECT_EQ(serve(c, a).cached, 5u);
  EXPECT_EQ(serve(c, b).cached, 0u) << "b was overwritten and there is no host cache";
}

TEST(SimPromptCacheStructure, ASlotSharingTenPercentOrLessIsNotChosenForIt) {
  PromptCache c(slots_only(2));
  const std::string shared = prompt_of('s', 1);
  const PromptHit first = serve(c, shared + prompt_of('a', 19));
  const PromptHit second = serve(c, shared + prompt_of('b', 19));  // 1 of 20 tokens = 5 %
  EXPECT_NE(second.slot, first.slot);
  EXPECT_EQ(second.cached, 0u);
}

TEST(SimPromptCacheStructure, BusySlotsAreNeverHandedOut) {
  PromptCache c(slots_only(2));
  const std::string a = prompt_of('a', 4);
  const PromptHit h1 = c.acquire(a);
  const PromptHit h2 = c.acquire(a);
  EXPECT_NE(h1.slot, h2.slot);
  EXPECT_EQ(h2.cached, 0u) << "the slot holding a's prefix is busy";
  const PromptHit h3 = c.acquire(a);
  EXPECT_EQ(h3.slot, -1) << "more requests than slots";
  EXPECT_EQ(h3.cached, 0u);
  c.release(h1.slot);
  c.release(h1.slot);  // twice: ignored
  c.release(-1);
  EXPECT_EQ(c.acquire(a).slot, h1.slot);
}

TEST(SimPromptCacheStructure, CacheRamZeroKeepsOnlyEachSlotsLastPrompt) {
  PromptCache c({1, 0, 128 * kKiB});
  EXPECT_EQ(c.host_capacity_tokens(), 0u);
  const std::string a = prompt_of('a', 8);
  const std::string b = prompt_of('b', 8);
  serve(c, a);
  serve(c, b);
  const PromptHit h = serve(c, a + prompt_of('c', 1));
  EXPECT_EQ(h.cached, 0u) << "b took the only slot and nothing kept a";
  EXPECT_FALSE(h.restored);
  EXPECT_EQ(c.host_entries(), 0u);
}

TEST(SimPromptCacheStructure, TheHostCacheGivesBackWhatASlotGaveUp) {
  PromptCache c(with_host(1, 1000));
  const std::string a = prompt_of('a', 8);
  const std::string b = prompt_of('b', 8);
  serve(c, a);
  const PromptHit hb = serve(c, b);
  EXPECT_EQ(hb.cached, 0u);
  EXPECT_EQ(c.host_entries(), 1u) << "a was saved when b took its slot";
  EXPECT_EQ(c.host_tokens(), 8u);
  const PromptHit again = serve(c, a + prompt_of('c', 2));
  EXPECT_TRUE(again.restored);
  EXPECT_EQ(again.cached, 8u);
  EXPECT_EQ(c.host_entries(), 1u) << "a moved back to the slot, b went to the host cache";
  EXPECT_EQ(serve(c, b + prompt_of('d', 1)).cached, 8u);
}

TEST(SimPromptCacheStructure, TheSlotsOwnPrefixWinsWhenTheHostHasNothingBetter) {
  PromptCache c(with_host(1, 1000));
  const std::string a = prompt_of('a', 8);
  serve(c, a);
  const PromptHit h = serve(c, a + prompt_of('b', 8));
  EXPECT_FALSE(h.restored);
  EXPECT_EQ(h.cached, 8u);
  EXPECT_EQ(c.host_entries(), 0u) << "the slot kept all it had: nothing to save";
}

TEST(SimPromptCacheStructure, CacheRamBoundsTheHostCacheOldestOutFirst) {
  PromptCache c(with_host(1, 10));  // 10 tokens of 1 KiB
  EXPECT_EQ(c.host_capacity_tokens(), 10u);
  const std::string p1 = prompt_of('1', 4);
  const std::string p2 = prompt_of('2', 4);
  const std::string p3 = prompt_of('3', 4);
  const std::string p4 = prompt_of('4', 4);
  serve(c, p1);
  serve(c, p2);  // host: p1
  serve(c, p3);  // host: p1 p2
  EXPECT_EQ(c.host_tokens(), 8u);
  EXPECT_EQ(c.host_evictions(), 0u);
  serve(c, p4);  // saving p3 needs room: p1 goes
  EXPECT_EQ(c.host_evictions(), 1u);
  EXPECT_EQ(c.host_entries(), 2u);
  EXPECT_LE(c.host_tokens(), 10u);
  const PromptHit h3 = serve(c, p3 + prompt_of('x', 1));  // saving p4 pushes out p2; p3 comes back
  EXPECT_TRUE(h3.restored);
  EXPECT_EQ(h3.cached, 4u);
  EXPECT_EQ(c.host_evictions(), 2u);
  EXPECT_EQ(serve(c, p1 + prompt_of('y', 1)).cached, 0u) << "the oldest entry is gone";
  EXPECT_EQ(serve(c, p2 + prompt_of('z', 1)).cached, 0u);
  EXPECT_LE(c.host_tokens(), c.host_capacity_tokens());
}

TEST(SimPromptCacheStructure, APromptLargerThanTheWholeBudgetIsNotSaved) {
  PromptCache c(with_host(1, 4));
  serve(c, prompt_of('a', 8));
  serve(c, prompt_of('b', 2));
  EXPECT_EQ(c.host_entries(), 0u);
  EXPECT_EQ(c.host_evictions(), 0u);
}

TEST(SimPromptCacheStructure, AHostEntryThatIsAPrefixOfANewOneIsReplaced) {
  PromptCache c(with_host(2, 1000));
  const std::string a = prompt_of('a', 4);
  const std::string ab = a + prompt_of('b', 4);
  const PromptHit h0 = c.acquire(a);
  const PromptHit h1 = c.acquire(a);  // both slots now hold a
  c.release(h0.slot);
  c.release(h1.slot);
  serve(c, prompt_of('x', 4));  // takes h0's slot: a is saved
  EXPECT_EQ(c.host_entries(), 1u);
  EXPECT_EQ(serve(c, ab).cached, 4u) << "grows in h1's slot";
  serve(c, prompt_of('y', 4));  // takes h0's slot again: x is saved
  serve(c, prompt_of('z', 4));  // takes h1's slot: ab is saved and the a inside it goes
  EXPECT_EQ(c.host_entries(), 2u);
  EXPECT_EQ(c.host_tokens(), 12u) << "x and ab, not a as well";
  const PromptHit h = serve(c, ab + prompt_of('c', 4));
  EXPECT_TRUE(h.restored);
  EXPECT_EQ(h.cached, 8u);
}

TEST(SimPromptCacheStructure, RealMemoryIsBoundedWhateverTheFlagsSay) {
  PromptCache c({1, std::uint64_t{8} << 30, 1});
  EXPECT_EQ(c.host_capacity_tokens(), kMaxHostCacheTokens);
}

// The scheduler's side: a loaded model has a cache with one slot per parallel request, and unloading the
// model drops it.
TEST(SimPromptCacheStructure, UnloadingAModelDropsItsCache) {
  constexpr std::uint64_t kGB = 1'000'000'000;
  Scheduler s({.vram = 24 * kGB, .num_parallel = 2});
  const TimePoint now = TimePoint{} + 1000s;
  Wakes wakes;
  auto load = [&] {
    const AdmitResult r = s.admit({"m", "m", kGB, 0}, std::nullopt, nullptr, now, wakes);
    ASSERT_EQ(r.status, AdmitStatus::kLoad);
    EXPECT_EQ(s.prompt_cache("m"), nullptr) << "no cache while loading";
    s.load_done("m", now, wakes);
  };
  ASSERT_NO_FATAL_FAILURE(load());
  PromptCache* cache = s.prompt_cache("m");
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->slots(), 2);
  const std::string a = prompt_of('a', 8);
  serve(*cache, a);
  EXPECT_EQ(serve(*cache, a + prompt_of('b', 1)).cached, 8u);
  s.release("m", now, wakes);
  ASSERT_TRUE(s.unload("m", now, wakes));
  EXPECT_EQ(s.prompt_cache("m"), nullptr);
  ASSERT_NO_FATAL_FAILURE(load());
  EXPECT_EQ(s.prompt_cache("m")->acquire(a + prompt_of('b', 1)).cached, 0u) << "a fresh load starts cold";
}

}  // namespace
}  // namespace corral::sim
