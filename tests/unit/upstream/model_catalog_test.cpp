// The catalog's picture of one backend: listings parsed with sizes and expiry, traffic and polls
// moving a model between loading and loaded, the learned load time.
#include "upstream/model_catalog.hpp"

#include <gtest/gtest.h>

#include "common/hash.hpp"

namespace corral::upstream {
namespace {

TEST(ModelCatalog, ListingsGiveSizesVramAndExpiry) {
  const auto ps = models_in_listing(
      R"({"models":[{"name":"llama3:8b","size":5000,"size_vram":4000,"expires_at":"2026-01-01T01:00:10.5+01:00"},)"
      R"({"name":"Bad Name!"},{"name":"qwen2"}]})");
  ASSERT_EQ(ps.size(), 2U);
  EXPECT_EQ(ps[0].key, "llama3:8b");
  EXPECT_EQ(ps[0].size, 5000U);
  EXPECT_EQ(ps[0].size_vram, 4000U);
  EXPECT_EQ(ps[0].expires_at_s, 1767225610);  // 2026-01-01T00:00:10Z
  EXPECT_EQ(ps[1].key, "qwen2:latest");
  EXPECT_TRUE(models_in_listing("not json").empty());
}

TEST(ModelCatalog, LoadingThenServedThenForgottenByThePoll) {
  ModelCatalog c;
  const std::uint64_t h = common::hash_key("m:latest");
  auto s = c.state(h, "m:latest");
  EXPECT_FALSE(c.warm(h));
  s->loading_since_ns = 100;
  EXPECT_TRUE(c.warm(h));
  ASSERT_TRUE(s->slots->try_take());
  c.apply_ps({}, 150);  // not listed yet, but our request is still running: stays loading
  EXPECT_TRUE(c.warm(h));
  c.mark_served(h, std::chrono::milliseconds(800), 200);
  EXPECT_TRUE(s->loaded.load());
  EXPECT_EQ(s->loading_since_ns.load(), 0);
  EXPECT_EQ(s->loaded_at_ns.load(), 200);
  EXPECT_EQ(s->learned_load_ns.load(), 800'000'000);
  s->slots->give_back();
  c.apply_ps({}, 300);  // evicted behind our back
  EXPECT_FALSE(c.warm(h));
  c.apply_ps({ListedModel{"m:latest", 10, 9, 0}}, 400);
  EXPECT_TRUE(c.warm(h));
  EXPECT_EQ(s->bytes(), 9U);
  EXPECT_EQ(s->loaded_at_ns.load(), 400);
}

TEST(ModelCatalog, InventoryIsUnknownUntilTagsAreRead) {
  ModelCatalog c;
  const std::uint64_t h = common::hash_key("m:latest");
  EXPECT_TRUE(c.may_have(h));
  c.apply_tags({ListedModel{"other:latest", 1, 0, 0}});
  EXPECT_FALSE(c.may_have(h));
  c.apply_tags({ListedModel{"m:latest", 1234, 0, 0}});
  EXPECT_TRUE(c.may_have(h));
  EXPECT_EQ(c.find(h)->disk_bytes.load(), 1234U);
}

TEST(ModelCatalog, AListingSentBeforeAManagementUpdateDoesNotUndoIt) {
  ModelCatalog c;
  const std::uint64_t pulled = common::hash_key("pulled:latest");
  const std::uint64_t deleted = common::hash_key("deleted:latest");
  ASSERT_TRUE(c.apply_tags({ListedModel{"deleted:latest", 1, 0, 0}}, c.inventory_generation()));
  // A poll sends /api/tags; a pull and a delete through the gateway end before its answer is applied.
  const std::uint64_t sent_at = c.inventory_generation();
  c.add_to_inventory(pulled);
  c.drop_from_inventory(deleted);
  EXPECT_FALSE(c.apply_tags({ListedModel{"deleted:latest", 1, 0, 0}}, sent_at));  // predates both: dropped
  EXPECT_TRUE(c.may_have(pulled));
  EXPECT_FALSE(c.may_have(deleted));
  // The next round, sent after the updates, is the truth again (here: someone removed the pulled model).
  EXPECT_TRUE(c.apply_tags({ListedModel{"other:latest", 1, 0, 0}}, c.inventory_generation()));
  EXPECT_FALSE(c.may_have(pulled));
  EXPECT_TRUE(c.may_have(common::hash_key("other:latest")));
}

TEST(ModelCatalog, AnEditWhileTheInventoryIsUnknownStillMovesTheGeneration) {
  ModelCatalog c;
  const std::uint64_t sent_at = c.inventory_generation();
  c.add_to_inventory(common::hash_key("m:latest"));  // unknown inventory: nothing to edit, but the poll is stale
  EXPECT_FALSE(c.apply_tags({ListedModel{"other:latest", 1, 0, 0}}, sent_at));
  EXPECT_TRUE(c.may_have(common::hash_key("m:latest")));  // still unknown: every model may be there
}

}  // namespace
}  // namespace corral::upstream
