// What the gateway keeps towards its backends, and what it leaves behind: a backend that a reload
// removes loses its pooled connections (a reload that keeps a backend keeps them), a pooled connection
// idle past timeouts.upstream_idle is closed. Counted in procfs (the gateway's fds and sockets, the
// sim's accepted sockets) and in the sims' connections_opened, never timed. And what a backend's broken
// answer leaves the client with: a body broken before any byte reached the client is a whole 502. And
// what junk model names leave in /metrics: nothing but model="other".
#include <sys/types.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/proc_sockets.hpp"
#include "support/process.hpp"
#include "support/raw_backend.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

// The admin listener on another loopback address: the loader refuses two identical listen strings.
const std::string kAdminListen = "127.0.0.2:0";

// A config over `backends` in one round-robin pool. Health checks and model polls run once at the start
// (1h intervals), so the only upstream connections made later are the ones requests make.
std::string hygiene_config(const std::vector<const Server*>& backends, const std::string& upstream_idle) {
  std::string y = "listen: 127.0.0.1:0\nthreads: 2\nadmin:\n  listen: " + kAdminListen +
                  "\nmodels_poll_interval: 1h\nhealth: {interval: 1h}\ntimeouts: {upstream_idle: " + upstream_idle +
                  "}\npools:\n  - name: p\n    policy: round_robin\n    backends:\n";
  for (const Server* b : backends) y += "      - url: " + b->url() + "\n";
  return y;
}

void reload_to(const std::string& path, const std::string& admin, const std::string& config) {
  replace_file(path, config);
  ASSERT_EQ(http_request(admin, "POST", "/corral/api/reload").status, 200);
}

pid_t pid_of(const Server& s) { return s.process->pid(); }

TEST(GatewayUpstreamHygiene, AReloadThatDropsABackendClosesItsConnectionsAndKeepsTheOthers) {
  auto a = start_sim({"m=1GB"});
  auto b = start_sim({"m=1GB"});
  auto c = start_sim({"m=1GB"});
  const std::string two = hygiene_config({&a, &b}, "1h");  // 1h: only the reload may close them
  const std::string three = hygiene_config({&a, &b, &c}, "1h");
  const std::string path = write_temp(two);
  Server gw({"serve", "-c", path});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  // The gateway's fds besides its sockets to a and b (listeners, pipes, clients): the level to return to.
  const auto others = [&] {
    return open_fds(pid_of(gw)) - tcp_connections_to(pid_of(gw), a.port) - tcp_connections_to(pid_of(gw), b.port);
  };
  const std::size_t level = others();

  // A reload that keeps a and b keeps their connections: one keep-alive client (one worker thread) sends
  // requests one at a time, so each backend has one pooled connection there, reused across the reloads.
  HttpConnection client(gw.address);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(client.request("POST", "/api/generate", generate_body("m", 1)).status, 200);
  const std::int64_t a_opened = stat(a, "connections_opened");
  for (int round = 0; round < 3; ++round) {
    reload_to(path, admin, round % 2 == 0 ? three : two);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(client.request("POST", "/api/generate", generate_body("m", 1)).status, 200);
  }
  // +1: this /sim/stats call's own connection.
  EXPECT_EQ(stat(a, "connections_opened"), a_opened + 1);
  reload_to(path, admin, two);
  client.close();

  // Service-discovery churn under traffic: c leaves and comes back twenty times.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> load;
  const auto stop_load = [&] {
    stop = true;
    for (auto& t : load) {
      if (t.joinable()) t.join();
    }
  };
  struct Joined {  // a failed ASSERT returns early: the clients still stop first
    const decltype(stop_load)& f;
    ~Joined() { f(); }
  } joined{stop_load};
  for (int i = 0; i < 3; ++i) {
    load.emplace_back([&] {
      while (!stop) {
        try {
          const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("m", 1));
          (r.status == 200 ? ok : failed).fetch_add(1);
        } catch (const std::exception&) {
          failed.fetch_add(1);
        }
      }
    });
  }
  for (int round = 0; round < 10; ++round) {
    const std::int64_t before = stat(c, "requests");
    reload_to(path, admin, three);
    ASSERT_TRUE(poll_until([&] { return stat(c, "requests") >= before + 3; }));
    reload_to(path, admin, two);
  }
  stop_load();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 0);

  // Nothing of c is left open, on either side, and the gateway is back at its level.
  EXPECT_TRUE(poll_until([&] { return tcp_connections_to(pid_of(gw), c.port) == 0; }))
      << tcp_connections_to(pid_of(gw), c.port) << " gateway sockets to the removed backend";
  EXPECT_TRUE(poll_until([&] { return tcp_connections_on(pid_of(c), c.port) == 0; }))
      << tcp_connections_on(pid_of(c), c.port) << " connections open on the removed backend";
  EXPECT_TRUE(poll_until([&] { return others() <= level; })) << others() << " fds, level " << level;
  EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("m", 1)).status, 200);
}

TEST(GatewayUpstreamHygiene, APooledConnectionIdlePastUpstreamIdleIsClosed) {
  auto sim = start_sim({"m=1GB"});
  Server gw({"serve", "-c", write_temp(hygiene_config({&sim}, "200ms"))});
  (void)gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("m", 1)).status, 200);
  // The request's connection (and the start's health check and poll) idle out: the sim sees them close.
  EXPECT_TRUE(poll_until([&] { return tcp_connections_on(pid_of(sim), sim.port) == 0; }))
      << tcp_connections_on(pid_of(sim), sim.port) << " connections still open on the sim";
  EXPECT_EQ(tcp_connections_to(pid_of(gw), sim.port), 0U);
  // So the next request needs a new one (+1 more: the /sim/stats call itself).
  const std::int64_t opened = stat(sim, "connections_opened");
  ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("m", 1)).status, 200);
  EXPECT_EQ(stat(sim, "connections_opened"), opened + 2);
}

// After a 502 the client's connection either goes on (a next request is answered) or closes cleanly.
void expect_usable_or_closed(HttpConnection& conn, const HttpResponse& r) {
  if (!r.keep_alive) {
    EXPECT_TRUE(conn.peer_closed());
    return;
  }
  EXPECT_EQ(conn.request("GET", "/api/version").status, 200);
}

// A backend answers 200 and a chunked body whose first chunk size is no hex number (or a size line and
// then the close), all in one write: the gateway holds the head back to send it with the first body
// bytes, so when those fail nothing has reached the client, which must get a whole error answer in its
// endpoint's shape, not a bare error chunk with no status line before it.
TEST(GatewayUpstreamHygiene, ABodyBrokenBeforeAnyByteReachedTheClientIsAWhole502) {
  const std::string bad_chunk = "zz\r\n{\"done\":true}\r\n0\r\n\r\n";
  RawBackend raw(
      [&](const std::string&, const std::string& target) -> RawReply {
        if (target == "/api/generate") return {chunked_reply("application/x-ndjson", bad_chunk)};
        if (target == "/api/chat") return {chunked_reply("application/x-ndjson", "25\r\n"), true};
        if (target == "/v1/chat/completions") return {chunked_reply("text/event-stream", bad_chunk)};
        return {};
      },
      R"({"models":[{"name":"m:latest","model":"m:latest","size":1000000}]})");
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n    backends:\n      - url: " +
                                       raw.url() + "\n")});
  ASSERT_TRUE(wait_ready(gw));

  HttpConnection native(gw.address);
  const HttpResponse generated = native.request("POST", "/api/generate", generate_body("m", 1, true));
  EXPECT_EQ(generated.status, 502);
  EXPECT_TRUE(parse_json(generated.body).at("error").is_string()) << generated.body;
  expect_usable_or_closed(native, generated);

  HttpConnection chat(gw.address);
  const HttpResponse chatted =
      chat.request("POST", "/api/chat", R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(chatted.status, 502);
  EXPECT_EQ(parse_json(chatted.body).at("error").as_string(), "upstream connection lost");
  expect_usable_or_closed(chat, chatted);

  HttpConnection openai(gw.address);
  const HttpResponse completed = openai.request(
      "POST", "/v1/chat/completions", R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(completed.status, 502);
  EXPECT_TRUE(parse_json(completed.body).at("error").at("message").is_string()) << completed.body;
  expect_usable_or_closed(openai, completed);
  EXPECT_EQ(raw.handled(), 3);  // one backend call each: the backend took the request, so no replay
}

// The sum of the samples of metric `name` whose line contains `filter`.
double metric_sum(const std::string& text, const std::string& name, const std::string& filter) {
  double sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 || line.find(filter) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// 150 random model names (more than the 100 label slots for names seen in traffic) that no backend has
// take no slot: they count as model="other" at once, and a real model that comes after them, like a
// configured one, still gets a label of its own.
TEST(GatewayUpstreamHygiene, JunkModelNamesTakeNoMetricLabel) {
  auto sim = start_sim({"real:1b=1GB"});
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 100ms\npools:\n"
                                       "  - name: p\n    policy: round_robin\n    backends:\n      - url: " +
                                       sim.url() + "\nmodels:\n  - {match: \"configured:7b\", pool: p}\n")});
  ASSERT_TRUE(wait_ready(gw));  // the inventory is read: the fleet knows real:1b
  HttpConnection client(gw.address);
  for (int i = 0; i < 150; ++i) {
    ASSERT_EQ(client.request("POST", "/api/generate", generate_body("junk-" + std::to_string(i), 1)).status, 404);
  }
  ASSERT_EQ(client.request("POST", "/api/generate", generate_body("real:1b", 1)).status, 200);
  ASSERT_EQ(client.request("POST", "/api/generate", generate_body("configured:7b", 1)).status, 404);

  const std::string requests = "ollama_gateway_requests_total";
  std::string text;
  // Accounted just after the answer's last byte: the counters are exact once they settle.
  const bool settled = poll_until([&] {
    text = http_request(gw.address, "GET", "/metrics").body;
    return metric_sum(text, requests, "model=\"real:1b\"") == 1 &&
           metric_sum(text, requests, "model=\"configured:7b\"") == 1 &&
           metric_sum(text, requests, "model=\"other\"") == 150;
  });
  EXPECT_TRUE(settled) << text;
  EXPECT_EQ(text.find("junk-"), std::string::npos);
}

}  // namespace
}  // namespace corral::testing
