// The public listener's fence, end to end against real `corral serve` and `corral sim` processes: API
// keys (401 in the endpoint's error shape, 403 for models outside a key's allow list), the admin boundary
// (management calls and Corral's admin API need an admin key here, pass freely on the admin listener),
// per-key and per-address rate limits (429 + Retry-After) that survive a reload, trusted-proxy
// X-Forwarded-For, generated-token budgets, and the per-address connection cap. Every refusal is also
// checked on the simulator's side: refused requests never reach it.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

// SHA-256 of "user-key-1", "admin-key-1" and "tok-key-1" (what `corral hash-key` prints).
constexpr const char* kUserDigest = "efeffff8fdf6eb1edc3d83f8a34fbe5271247663c351750143991007c37d8972";
constexpr const char* kAdminDigest = "81d5958ea2799a62716f71aa7e3c2f275f31e9d8a1908e785838a10b00fbaa4c";
constexpr const char* kTokDigest = "343836aff726347fc7d20def5d4a9a1bdcf7caee63dcb52e2d6cd1be46c6ad48";

const Headers kUser{{"Authorization", "Bearer user-key-1"}};
const Headers kAdminAuth{{"Authorization", "Bearer admin-key-1"}};

std::string pools(const Server& sim) {
  return "pools:\n  - name: p\n    backends:\n      - url: " + sim.url() + "\n";
}

std::string keys_config(const Server& sim, const std::string& extra = {}) {
  return "listen: 127.0.0.1:0\nthreads: 2\nadmin:\n  listen: 127.0.0.2:0\n" + pools(sim) +
         "auth:\n  keys:\n"
         "    - name: team\n      sha256: " + std::string(kUserDigest) + "\n      allowed_models: [\"llama3\"]\n"
         "      limits: {requests: 4, interval: 1h}\n"
         "    - name: ops\n      sha256: " + std::string(kAdminDigest) + "\n      role: admin\n"
         "    - name: metered\n      sha256: " + std::string(kTokDigest) + "\n      limits: {tokens_per_minute: 10}\n" +
         extra;
}

struct Gateway {
  explicit Gateway(const std::string& config_text) : path(write_temp(config_text)), server({"serve", "-c", path}) {
    if (config_text.find("\nadmin:") != std::string::npos) admin = server.admin_address();
  }
  std::string path;
  Server server;
  std::string admin;
  [[nodiscard]] const std::string& address() const { return server.address; }
};

TEST(SecurityGateway, KeysAndTheAdminBoundary) {
  auto sim = start_sim({"llama3:8b=1GB", "qwen2:7b=1GB"});
  Gateway gw(keys_config(sim));
  ASSERT_TRUE(wait_ready(gw.server));
  const std::string body = generate_body("llama3:8b", 2);

  auto r = http_request(gw.address(), "POST", "/api/generate", body);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"corral\"");
  EXPECT_EQ(parse_json(r.body).at("error").as_string(), "missing API key: send Authorization: Bearer <key>");
  r = http_request(gw.address(), "POST", "/v1/chat/completions",
                   R"({"model":"llama3:8b","messages":[{"role":"user","content":"hi"}]})",
                   {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(parse_json(r.body).at("error").at("message").as_string(), "invalid API key");  // OpenAI shape
  EXPECT_EQ(stat(sim, "requests"), 0);

  EXPECT_EQ(http_request(gw.address(), "POST", "/api/generate", body, kUser).status, 200);
  r = http_request(gw.address(), "POST", "/api/generate", generate_body("qwen2:7b", 2), kUser);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(parse_json(r.body).at("error").as_string().find("may not use model 'qwen2:7b'"), std::string::npos);
  EXPECT_EQ(stat(sim, "requests"), 1);
  // A chunked body is read for the allow list too (under ASan this also checks the parser's padding).
  HttpConnection chunked(gw.address());
  const std::string qwen = generate_body("qwen2:7b", 1);
  char size[16];
  std::snprintf(size, sizeof size, "%zx", qwen.size());
  chunked.send_raw("POST /api/generate HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer user-key-1\r\n"
                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + std::string(size) + "\r\n" + qwen +
                   "\r\n0\r\n\r\n");
  EXPECT_TRUE(chunked.read_until_close().starts_with("HTTP/1.1 403 "));
  EXPECT_EQ(stat(sim, "requests"), 1);

  // Management calls: refused for a user key, forwarded for an admin key and on the admin listener.
  const std::string pull = R"({"model":"llama3:8b","stream":false})";
  r = http_request(gw.address(), "POST", "/api/pull", pull, kUser);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("admin"), std::string::npos);
  EXPECT_EQ(http_request(gw.address(), "POST", "/api/pull", pull, kAdminAuth).status, 200);
  EXPECT_EQ(http_request(gw.admin, "POST", "/api/pull", pull).status, 200);
  // Corral's admin API: an admin key on the public listener, nothing needed on the admin listener.
  EXPECT_EQ(http_request(gw.address(), "POST", "/corral/api/reload", "", kUser).status, 403);
  EXPECT_EQ(http_request(gw.address(), "POST", "/corral/api/reload", "", kAdminAuth).status, 200);
  EXPECT_EQ(http_request(gw.admin, "POST", "/corral/api/reload").status, 200);
  EXPECT_EQ(http_request(gw.address(), "GET", "/healthz").status, 200);  // probes need no key
  // The status page and its JSON are read-only views: any valid key, not an admin one.
  EXPECT_EQ(http_request(gw.address(), "GET", "/corral/api/status").status, 401);
  EXPECT_EQ(http_request(gw.address(), "GET", "/corral/api/status", "", kUser).status, 200);
  EXPECT_EQ(http_request(gw.address(), "GET", "/corral/", "", kUser).status, 200);
}

TEST(SecurityGateway, QuickModeShowsTheStatusPageButKeepsTheAdminApiClosed) {
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim}, 1);
  ASSERT_TRUE(wait_ready(gw));
  EXPECT_EQ(http_request(gw.address, "GET", "/corral/").status, 200);
  EXPECT_EQ(http_request(gw.address, "GET", "/corral/api/status").status, 200);
  EXPECT_EQ(http_request(gw.address, "POST", "/corral/api/reload").status, 403);  // no admin key can exist here
}

TEST(SecurityGateway, KeyLimitSurvivesReloadWithRetryAfter) {
  auto sim = start_sim({"llama3:8b=1GB"});
  Gateway gw(keys_config(sim));
  ASSERT_TRUE(wait_ready(gw.server));
  const std::string body = generate_body("llama3:8b", 1);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(http_request(gw.address(), "POST", "/api/generate", body, kUser).status, 200);
  auto r = http_request(gw.address(), "POST", "/api/generate", body, kUser);
  EXPECT_EQ(r.status, 429);
  EXPECT_GE(std::stoi(r.header("retry-after")), 600);  // one request per 15 min refills the bucket
  EXPECT_EQ(parse_json(r.body).at("error").as_string(), "too many requests for this API key");
  ASSERT_EQ(http_request(gw.admin, "POST", "/corral/api/reload").status, 200);
  EXPECT_EQ(http_request(gw.address(), "POST", "/api/generate", body, kUser).status, 429);
  EXPECT_EQ(http_request(gw.address(), "POST", "/api/generate", body, kAdminAuth).status, 200);  // other key, own bucket
  EXPECT_EQ(stat(sim, "requests"), 5);
}

TEST(SecurityGateway, GeneratedTokensAreChargedToTheKey) {
  auto sim = start_sim({"llama3:8b=1GB"});
  Gateway gw(keys_config(sim));
  ASSERT_TRUE(wait_ready(gw.server));
  const Headers metered{{"Authorization", "Bearer tok-key-1"}};
  // 40 generated tokens against a 10-per-minute budget: the next request finds the key in debt.
  ASSERT_EQ(http_request(gw.address(), "POST", "/api/generate", generate_body("llama3:8b", 40), metered).status, 200);
  // The charge lands just after the last byte is relayed, so a request racing it may still pass (and add
  // its own token); none may pass once it has landed.
  HttpResponse r;
  int raced = 0;
  ASSERT_TRUE(poll_until([&] {
    r = http_request(gw.address(), "POST", "/api/generate", generate_body("llama3:8b", 1), metered);
    raced += r.status == 200 ? 1 : 0;
    return r.status == 429;
  }));
  EXPECT_LE(raced, 1);
  EXPECT_GE(std::stoi(r.header("retry-after")), 60);
  EXPECT_EQ(parse_json(r.body).at("error").as_string(), "token budget of this API key exhausted");
  EXPECT_EQ(stat(sim, "requests"), 1 + raced);
}

TEST(SecurityGateway, PerAddressLimitBelievesOnlyTrustedProxies) {
  auto sim = start_sim({"llama3:8b=1GB"});
  const std::string limits = "rate_limits:\n  per_ip: {requests: 2, interval: 1h}\n";
  Gateway trusting("listen: 127.0.0.1:0\nthreads: 1\n" + pools(sim) + limits + "trusted_proxies: [127.0.0.0/8]\n");
  Gateway plain("listen: 127.0.0.1:0\nthreads: 1\n" + pools(sim) + limits);
  ASSERT_TRUE(wait_ready(trusting.server));
  ASSERT_TRUE(wait_ready(plain.server));
  const std::string body = generate_body("llama3:8b", 1);
  auto from = [](const char* ip) { return Headers{{"X-Forwarded-For", ip}}; };
  // Behind a trusted proxy each forwarded client has its own bucket.
  for (const char* ip : {"198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"}) {
    EXPECT_EQ(http_request(trusting.address(), "POST", "/api/generate", body, from(ip)).status, 200) << ip;
  }
  const auto r = http_request(trusting.address(), "POST", "/api/generate", body, from("198.51.100.1"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(parse_json(r.body).at("error").as_string(), "too many requests from this client address");
  // An untrusted peer's X-Forwarded-For is ignored: varying it does not escape the limit.
  EXPECT_EQ(http_request(plain.address(), "POST", "/api/generate", body, from("203.0.113.1")).status, 200);
  EXPECT_EQ(http_request(plain.address(), "POST", "/api/generate", body, from("203.0.113.2")).status, 200);
  EXPECT_EQ(http_request(plain.address(), "POST", "/api/generate", body, from("203.0.113.3")).status, 429);
  EXPECT_EQ(stat(sim, "requests"), 6);
}

TEST(SecurityGateway, ConnectionCapPerAddress) {
  auto sim = start_sim({"llama3:8b=1GB"});
  Gateway gw("listen: 127.0.0.1:0\nthreads: 1\n" + pools(sim) + "limits:\n  max_connections_per_ip: 2\n");
  ASSERT_TRUE(wait_ready(gw.server));
  // The readiness probes' connections are closed, but the gateway may not have seen those closes yet
  // (slow under ASan): until it has, one of two new connections can still be over the cap. So both are
  // retried together until a request on each proves both were accepted and are held open (keep-alive).
  std::optional<HttpConnection> a;
  std::optional<HttpConnection> b;
  ASSERT_TRUE(poll_until([&] {
    try {
      a.emplace(gw.address());
      b.emplace(gw.address());
      return a->request("GET", "/api/version").status == 200 && b->request("GET", "/api/version").status == 200;
    } catch (const std::exception&) {
      a.reset();
      b.reset();
      return false;
    }
  }));
  HttpConnection c(gw.address());
  EXPECT_TRUE(c.peer_closed());
  a->close();
  // The slot comes back once the gateway has seen the close.
  EXPECT_TRUE(poll_until([&] {
    try {
      return http_request(gw.address(), "GET", "/api/version").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }));
}

TEST(SecurityGateway, SlowHeadGets408) {
  auto sim = start_sim({"llama3:8b=1GB"});
  Gateway gw("listen: 127.0.0.1:0\nthreads: 1\n" + pools(sim) + "timeouts:\n  client_header: 300ms\n");
  HttpConnection c(gw.address());
  c.send_raw("POST /api/generate HTTP/1.1\r\nHost: x\r\n");  // and never the rest (slowloris)
  const std::string answer = c.read_until_close();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 408 ")) << answer;
  EXPECT_EQ(stat(sim, "requests"), 0);
}

}  // namespace
}  // namespace corral::testing
