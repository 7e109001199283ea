// The gatekeeper's decisions for one request, driven to completion on a test io_context: 401 without a
// key, the admin role where the route's access column asks for it (and only there), the admin-only
// check of Corral's own admin calls, and the client address with no trusted proxy.
#include "auth/gatekeeper.hpp"

#include <gtest/gtest.h>

#include "admission/admission_controller.hpp"
#include "app/hash_key.hpp"
#include "config/config_loader.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::auth {
namespace {

struct GatekeeperFixture {
  GatekeeperFixture() : config(make_config()), admission(config), registry(config, admission) {}

  static config::Config make_config() {
    config::Config c = config::quick_config("127.0.0.1:0", {"http://127.0.0.1:1"}, 1);
    for (auto [name, role] : {std::pair{"user", config::Role::kUser}, std::pair{"ops", config::Role::kAdmin}}) {
      config::ApiKeyConfig k;
      k.name = name;
      k.sha256 = app::sha256_hex(std::string("sk-") + name);
      k.role = role;
      c.auth.keys.push_back(std::move(k));
    }
    return c;
  }

  Verdict check(http::verb method, std::string_view target, std::string_view bearer, std::string_view x_api_key = {}) {
    http::request<http::string_body> msg{method, target, 11};
    if (!bearer.empty()) msg.set(http::field::authorization, "Bearer " + std::string(bearer));
    if (!x_api_key.empty()) msg.set("x-api-key", x_api_key);
    const routing::Route route = routing::route_request(method, target);
    const routing::RequestInfo info;
    const IpAddress peer = boost::asio::ip::make_address("127.0.0.1");
    net::io_context ioc;
    auto verdict = net::co_spawn(ioc, gatekeeper.check(upstream::access_policy_of(registry.current()), peer,
                                                       "127.0.0.1", msg, route, info),
                                 net::use_future);
    ioc.run();
    return verdict.get();
  }

  config::Config config;
  admission::AdmissionController admission;
  upstream::BackendRegistry registry;
  Gatekeeper gatekeeper{std::make_shared<ratelimit::LocalRateLimiter>(1024), nullptr};
};

TEST(Gatekeeper, RefusesAMissingOrUnknownKey) {
  GatekeeperFixture f;
  EXPECT_EQ(f.check(http::verb::post, "/api/generate", "").status, 401);
  EXPECT_EQ(f.check(http::verb::post, "/api/generate", "sk-nobody").status, 401);
}

TEST(Gatekeeper, TakesTheKeyFromXApiKeyAndSaysWhyItRefuses) {
  GatekeeperFixture f;
  const Verdict anthropic = f.check(http::verb::post, "/v1/messages", "", "sk-user");
  EXPECT_TRUE(anthropic.admitted());
  ASSERT_NE(anthropic.key, nullptr);
  EXPECT_EQ(anthropic.key->name, "user");
  EXPECT_TRUE(f.check(http::verb::post, "/api/generate", "", "sk-user").admitted());  // on every route
  EXPECT_TRUE(f.check(http::verb::post, "/v1/messages", "sk-user", "sk-user").admitted());
  const Verdict two = f.check(http::verb::post, "/v1/messages", "sk-user", "sk-ops");
  EXPECT_EQ(two.status, 401);
  EXPECT_NE(two.message.find("different API keys"), std::string::npos);
  EXPECT_EQ(f.check(http::verb::post, "/v1/messages", "", "sk-nobody").message, "invalid API key");
  // A missing key is explained in the words of the family's clients.
  EXPECT_EQ(f.check(http::verb::post, "/v1/messages", "").message,
            "missing API key: send x-api-key: <key> (or Authorization: Bearer <key>)");
  EXPECT_EQ(f.check(http::verb::post, "/v1/chat/completions", "").message,
            "missing API key: send Authorization: Bearer <key>");
  // Corral's admin calls take an admin key from either field too.
  http::request<http::string_body> msg{http::verb::post, "/corral/api/reload", 11};
  msg.set("x-api-key", "sk-ops");
  EXPECT_TRUE(Gatekeeper::check_admin(upstream::access_policy_of(f.registry.current()), msg).admitted());
}

TEST(Gatekeeper, AsksTheAdminRoleWhereTheRouteSaysSo) {
  GatekeeperFixture f;
  const Verdict user_generates = f.check(http::verb::post, "/api/generate", "sk-user");
  EXPECT_TRUE(user_generates.admitted());
  ASSERT_NE(user_generates.key, nullptr);
  EXPECT_EQ(user_generates.key->name, "user");
  EXPECT_EQ(user_generates.client_ip, "127.0.0.1");
  EXPECT_EQ(f.check(http::verb::post, "/api/pull", "sk-user").status, 403);
  EXPECT_EQ(f.check(http::verb::delete_, "/api/delete", "sk-user").status, 403);
  EXPECT_TRUE(f.check(http::verb::post, "/api/pull", "sk-ops").admitted());
  // A wrong method is no management call: the proxy's 405 answers it, not a 403.
  EXPECT_TRUE(f.check(http::verb::get, "/api/pull", "sk-user").admitted());
}

TEST(Gatekeeper, CorralsAdminCallsNeedAnAdminKeyOnly) {
  GatekeeperFixture f;
  const auto policy = upstream::access_policy_of(f.registry.current());
  http::request<http::string_body> msg{http::verb::post, "/corral/api/reload", 11};
  EXPECT_EQ(Gatekeeper::check_admin(policy, msg).status, 403);
  msg.set(http::field::authorization, "Bearer sk-user");
  EXPECT_EQ(Gatekeeper::check_admin(policy, msg).status, 403);
  msg.set(http::field::authorization, "Bearer sk-ops");
  EXPECT_TRUE(Gatekeeper::check_admin(policy, msg).admitted());
}

}  // namespace
}  // namespace corral::auth
