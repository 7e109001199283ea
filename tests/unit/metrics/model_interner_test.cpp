// Interning: stable ids, the cap, reserved ids, and readers racing a writer.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "metrics/model_interner.hpp"

namespace corral::metrics {
namespace {

TEST(ModelInterner, ReservedIdsAndCap) {
  ModelInterner in(2);
  EXPECT_EQ(in.name(ModelInterner::kOther), "other");
  EXPECT_EQ(in.name(ModelInterner::kNone), "none");
  const auto a = in.intern("a");
  const auto b = in.intern("b");
  EXPECT_EQ(in.intern("c"), ModelInterner::kOther);
  EXPECT_EQ(in.intern("a"), a);
  EXPECT_NE(a, b);
  EXPECT_NE(in.intern_configured("c"), ModelInterner::kOther);
  EXPECT_EQ(in.intern(""), ModelInterner::kOther);
  EXPECT_EQ(in.intern(std::string(ModelInterner::kMaxNameLength + 1, 'x')), ModelInterner::kOther);
  EXPECT_EQ(in.size(), 5u);
  EXPECT_FALSE(in.find("zzz"));
}

TEST(ModelInterner, CallbackRunsBeforeTheIdIsVisible) {
  ModelInterner in(10);
  bool visible_during_callback = true;
  in.intern("m", [&](ModelId, const std::string& n) { visible_during_callback = in.find(n).has_value(); });
  EXPECT_FALSE(visible_during_callback);
  EXPECT_TRUE(in.find("m"));
}

TEST(ModelInterner, ConcurrentInternsAgreeOnIds) {
  ModelInterner in(1000);
  std::vector<std::vector<ModelId>> got(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) got[t].push_back(in.intern("model-" + std::to_string(i)));
    });
  }
  for (auto& t : ts) t.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(got[t], got[0]);
  EXPECT_EQ(in.size(), 202u);
}

}  // namespace
}  // namespace corral::metrics
