// What a snapshot says about models: has_model() is true only on evidence that a backend really has the
// model (listed on its disk with a size while the inventory lists it, loaded by /api/ps, or a request it
// answered), never for a name a pick merely tried to place. Metric labels for model names depend on it.
#include "upstream/backend_registry.hpp"

#include <gtest/gtest.h>

#include "common/hash.hpp"
#include "config/config_loader.hpp"

namespace corral::upstream {
namespace {

struct TwoBackends {
  config::Config config = config::quick_config("127.0.0.1:0", {"http://127.0.0.1:1", "http://127.0.0.1:2"}, 1);
  admission::AdmissionController admission{config};
  BackendRegistry registry{config, admission};
  SnapshotPtr snap = registry.current();
  ModelCatalog& catalog(std::size_t i) { return snap->pools[0].members[i]->backend->catalog; }
};

TEST(SnapshotHasModel, OnlyWhatABackendListsLoadsOrServed) {
  TwoBackends f;
  const std::uint64_t listed = common::hash_key("listed:latest");
  const std::uint64_t running = common::hash_key("running:latest");
  const std::uint64_t served = common::hash_key("served:latest");
  const std::uint64_t junk = common::hash_key("junk-41:latest");
  for (const std::uint64_t h : {listed, running, served, junk}) EXPECT_FALSE(f.snap->has_model(h));

  // A pick for a name nobody has still makes a state and may mark a load under way: no evidence.
  f.catalog(0).state(junk, "junk-41:latest")->loading_since_ns = 100;
  EXPECT_FALSE(f.snap->has_model(junk));

  f.catalog(1).apply_tags({ListedModel{"listed:latest", 1000, 0, 0}});
  EXPECT_TRUE(f.snap->has_model(listed));
  f.catalog(1).drop_from_inventory(listed);  // deleted through the gateway: gone until listed again
  EXPECT_FALSE(f.snap->has_model(listed));

  f.catalog(0).apply_ps({ListedModel{"running:latest", 0, 1000, 0}}, 1);
  EXPECT_TRUE(f.snap->has_model(running));

  (void)f.catalog(1).state(served, "served:latest");
  f.catalog(1).mark_served(served);  // the backend answered a request for it with 200
  EXPECT_TRUE(f.snap->has_model(served));
  EXPECT_FALSE(f.snap->has_model(junk));
}

}  // namespace
}  // namespace corral::upstream
