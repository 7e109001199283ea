// Fleet-wide answers: /api/tags, /api/ps and /v1/models merge every healthy worker's list, once per
// model, in Ollama's shapes; GET/HEAD / answer like Ollama; /api/version reports a version.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

std::set<std::string> names(const std::string& body, const char* list, const char* key) {
  std::set<std::string> out;
  const auto v = parse_json(body).as_object().at(list);
  if (v.is_null()) return out;
  for (const auto& m : v.as_array()) out.insert(std::string(m.as_object().at(key).as_string()));
  return out;
}

TEST(GatewayAggregate, MergedTagsPsAndModels) {
  auto a = start_sim({"llama3:8b=1GB", "qwen2:0.5b=400MB"});
  auto b = start_sim({"llama3:8b=1GB", "phi3:mini=2GB"});
  auto gw = start_quick({&a, &b});
  ASSERT_TRUE(wait_ready(gw));
  const auto tags = http_request(gw.address, "GET", "/api/tags");
  ASSERT_EQ(tags.status, 200);
  EXPECT_EQ(names(tags.body, "models", "name"), (std::set<std::string>{"llama3:8b", "qwen2:0.5b", "phi3:mini"}));
  EXPECT_EQ(parse_json(tags.body).as_object().at("models").as_array().size(), 3u);

  EXPECT_EQ(http_request(gw.address, "GET", "/api/ps").body, R"({"models":[]})");
  ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("phi3:mini", 1)).status, 200);
  EXPECT_EQ(names(http_request(gw.address, "GET", "/api/ps").body, "models", "name"), (std::set<std::string>{"phi3:mini"}));

  const auto models = http_request(gw.address, "GET", "/v1/models");
  EXPECT_EQ(names(models.body, "data", "id"), (std::set<std::string>{"llama3:8b", "qwen2:0.5b", "phi3:mini"}));

  const auto head = http_request(gw.address, "HEAD", "/");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  const auto version = http_request(gw.address, "GET", "/api/version");
  EXPECT_EQ(version.status, 200);
  EXPECT_TRUE(parse_json(version.body).as_object().contains("version"));
  EXPECT_EQ(http_request(gw.address, "GET", "/api/nothing").status, 404);
  EXPECT_EQ(http_request(gw.address, "GET", "/api/generate").status, 405);
}

}  // namespace
}  // namespace corral::testing
