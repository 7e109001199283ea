// Warm hit or cold load, from the pick-time catalog and the final object's load_duration.
#include <gtest/gtest.h>

#include "proxy/accounting.hpp"

namespace corral::proxy {
namespace {

using namespace std::chrono_literals;
using metrics::Placement;

RequestRecord generated(bool was_warm, std::optional<std::chrono::nanoseconds> load) {
  RequestRecord r;
  r.endpoint = routing::Endpoint::kGenerate;
  r.model_key = "llama3:8b";
  r.backend = 0;
  r.status = 200;
  r.was_warm = was_warm;
  r.load_duration = load;
  return r;
}

TEST(Accounting, PlacementFromCatalogAndLoadDuration) {
  EXPECT_EQ(placement_of(generated(false, 2s)), Placement::cold);
  EXPECT_EQ(placement_of(generated(false, 3ms)), Placement::cold);   // waited for a load it started
  EXPECT_EQ(placement_of(generated(true, 3ms)), Placement::warm);    // Ollama's few ms on warm requests
  EXPECT_EQ(placement_of(generated(true, 2s)), Placement::cold);     // evicted since the last poll
  EXPECT_EQ(placement_of(generated(false, 0ns)), Placement::warm);
  EXPECT_EQ(placement_of(generated(false, std::nullopt)), Placement::warm);
  RequestRecord tags = generated(false, 2s);
  tags.endpoint = routing::Endpoint::kTags;
  EXPECT_EQ(placement_of(tags), Placement::none);
  RequestRecord failed = generated(false, 2s);
  failed.status = 503;
  EXPECT_EQ(placement_of(failed), Placement::none);
}

}  // namespace
}  // namespace corral::proxy
