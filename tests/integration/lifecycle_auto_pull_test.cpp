// Auto-pull (models[].auto_pull, docs/models.md): a request for a model no worker has on disk is pulled
// to one worker first (the one with the most free VRAM), then served there; concurrent requests share that
// one pull; a failed pull is a 502 naming the model and the worker; without the rule Ollama's 404 stands.
// The fleets poll models once an hour: after the first round only the gateway's own updates count. The
// simulator counts no pulls: a pull shows as the model on that worker's disk (/api/tags), and where
// pulls must be counted a relay in front of each simulator counts them.
#include <sys/socket.h>

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A TCP relay in front of a simulator that counts the connections whose first request is POST /api/pull:
// the simulator counts no pulls, and the gateway's auto-pull opens a fresh connection for each one.
class PullCountingRelay {
 public:
  explicit PullCountingRelay(const Server& sim)
      : target_(asio::ip::make_address("127.0.0.1"),
                static_cast<unsigned short>(std::stoi(sim.address.substr(sim.address.rfind(':') + 1)))),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    address = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~PullCountingRelay() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (const auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);  // wakes every blocked read
    }
    boost::system::error_code ec;
    tcp::socket wake(io_);  // a blocking accept() only returns on a connection
    wake.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    for (auto& t : threads_) t.join();
  }
  [[nodiscard]] int pulls() const { return pulls_.load(); }
  [[nodiscard]] std::string url() const { return "http://" + address; }
  std::string address;

 private:
  void accept_loop() {
    for (;;) {
      auto client = std::make_shared<tcp::socket>(io_);
      auto upstream = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*client, ec);
      std::lock_guard lock(mu_);
      if (ec || stopping_) return;
      upstream->connect(target_, ec);
      if (ec) continue;
      sockets_.push_back(client);  // kept open until the destructor: their descriptors are never reused meanwhile
      sockets_.push_back(upstream);
      threads_.emplace_back([this, client, upstream] { pipe(*client, *upstream, true); });
      threads_.emplace_back([this, client, upstream] { pipe(*upstream, *client, false); });
    }
  }
  // Copies `from` to `to` until either side ends, then ends both (so the other direction stops too).
  void pipe(tcp::socket& from, tcp::socket& to, bool count) {
    std::array<char, 16384> buf;
    std::string first;
    constexpr std::string_view kPull = "POST /api/pull ";
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = from.read_some(asio::buffer(buf), ec);
      if (ec) break;
      if (count && first.size() < kPull.size()) {
        first.append(buf.data(), std::min(n, kPull.size() - first.size()));
        if (first == kPull) ++pulls_;
      }
      asio::write(to, asio::buffer(buf.data(), n), ec);
      if (ec) break;
    }
    ::shutdown(from.native_handle(), SHUT_RDWR);
    ::shutdown(to.native_handle(), SHUT_RDWR);
  }

  asio::io_context io_;
  tcp::endpoint target_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::atomic<int> pulls_{0};
  bool stopping_ = false;
};

const std::string kAutoPullRules =
    "models:\n  - match: fresh\n    pool: gpu\n    auto_pull: true\n"
    "  - match: nonexistent*\n    pool: gpu\n    auto_pull: true\n";

// Which of `sims` list `model` (display name) on disk.
int auto_pull_holders(const std::vector<const Server*>& sims, const std::string& model) {
  int n = 0;
  for (const auto* s : sims) n += lists_model(*s, model) ? 1 : 0;
  return n;
}

TEST(LifecycleAutoPull, AMissingModelIsPulledToTheWorkerWithMostFreeVramThenServed) {
  auto a = start_sim({"big=8GB"});
  auto b = start_sim({"small=1GB"});
  preload(a, "big");  // the first poll sees 8 GB taken on `a`: `b` has the most free VRAM
  Server gw({"serve", "-c", fleet_config({{&a, "24GB"}, {&b, "24GB"}}, kAutoPullRules, "1h")});
  ASSERT_TRUE(wait_ready(gw));
  const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("fresh", 2));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(lists_model(b, "fresh:latest"));
  EXPECT_FALSE(lists_model(a, "fresh:latest"));
  EXPECT_EQ(stat(b, "requests"), 1);
  // Now on disk there: the next requests go straight to it, without another pull.
  EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("fresh", 2)).status, 200);
  EXPECT_EQ(stat(b, "requests"), 2);
}

// Two sims behind pull-counting relays, one slot per backend. `a` has 8 GB loaded, so a pull goes to `b`;
// hold() keeps `b`'s slot busy with a long stream, so that pull waits in the pool's queue until release().
struct AutoPullHeldFleet {
  AutoPullHeldFleet() : a(start_sim({"big=8GB"})), b(start_sim({"busy=1GB"})), to_a(a), to_b(b) {
    preload(a, "big");
    std::string config = "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 1h\n"
                         "pools:\n  - name: gpu\n    policy: model_aware\n    backends:\n";
    for (const auto* r : {&to_a, &to_b}) config += "      - url: " + r->url() + "\n        vram: 24GB\n        max_inflight: 1\n";
    gw.emplace(std::vector<std::string>{"serve", "-c", write_temp(config + kAutoPullRules)});
  }
  [[nodiscard]] bool hold() {
    holder.emplace(gw->address);
    return holder->start("POST", "/api/generate", generate_body("busy", 100000, true)).status == 200 &&
           holder->next_line().has_value();
  }
  [[nodiscard]] bool pull_queued() const {
    return poll_until([&] {
      return http_request(gw->address, "GET", "/metrics").body.find("ai_request_queue_depth{pool=\"gpu\"} 1") !=
             std::string::npos;
    });
  }
  void release() { holder.reset(); }  // the stream's client leaves: its slot frees and the pull goes in

  Server a, b;
  PullCountingRelay to_a, to_b;
  std::optional<Server> gw;
  std::optional<HttpConnection> holder;
};

TEST(LifecycleAutoPull, ConcurrentRequestsShareOnePull) {
  AutoPullHeldFleet fleet;
  ASSERT_TRUE(wait_ready(*fleet.gw));
  ASSERT_TRUE(fleet.hold());
  int ok = 0;
  std::thread clients([&] { ok = concurrent_generate(*fleet.gw, "fresh", 6, 2); });
  ASSERT_TRUE(fleet.pull_queued());  // the requests arrive while the pull waits: they all find it under way
  fleet.release();
  clients.join();
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(fleet.to_a.pulls(), 0);
  EXPECT_EQ(fleet.to_b.pulls(), 1);
  EXPECT_EQ(auto_pull_holders({&fleet.a, &fleet.b}, "fresh:latest"), 1);
  EXPECT_TRUE(lists_model(fleet.b, "fresh:latest"));
}

TEST(LifecycleAutoPull, TheClientThatStartedThePullLeavingDoesNotStopIt) {
  AutoPullHeldFleet fleet;
  ASSERT_TRUE(wait_ready(*fleet.gw));
  ASSERT_TRUE(fleet.hold());
  {
    HttpConnection leaving(fleet.gw->address);
    const std::string body = generate_body("fresh", 2);
    leaving.send_raw("POST /api/generate HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(fleet.pull_queued());  // its pull is under way
    leaving.close();
  }
  int ok = 0;
  std::thread clients([&] { ok = concurrent_generate(*fleet.gw, "fresh", 3, 2); });
  fleet.release();
  clients.join();
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(fleet.to_a.pulls() + fleet.to_b.pulls(), 1);
  EXPECT_TRUE(lists_model(fleet.b, "fresh:latest"));
}

TEST(LifecycleAutoPull, AFailedPullIsA502NamingModelAndWorker) {
  auto a = start_sim({"m=1GB"});
  Server gw({"serve", "-c", fleet_config({{&a, "24GB"}}, kAutoPullRules, "1h")});
  ASSERT_TRUE(wait_ready(gw));
  const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("nonexistent-x", 2));
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(parse_json(r.body).at("error").as_string(),
            "auto-pull of nonexistent-x on " + a.address + " failed: pull model manifest: file does not exist");
  // The OpenAI-compatible endpoints get their own error shape.
  const auto v1 = http_request(gw.address, "POST", "/v1/chat/completions",
                               R"({"model":"nonexistent-y","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(v1.status, 502);
  const std::string message(parse_json(v1.body).at("error").at("message").as_string());
  EXPECT_EQ(message.rfind("auto-pull of nonexistent-y on " + a.address + " failed: ", 0), 0u) << message;
  EXPECT_EQ(stat(a, "requests"), 0);
}

TEST(LifecycleAutoPull, WithoutTheRuleAMissingModelIsOllamasNotFound) {
  auto a = start_sim({"m=1GB"});
  auto b = start_sim({"m=1GB"});
  Server gw({"serve", "-c", fleet_config({{&a, "24GB"}, {&b, "24GB"}}, kAutoPullRules, "1h")});
  ASSERT_TRUE(wait_ready(gw));
  const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("absent", 2));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(parse_json(r.body).at("error").as_string().find("not found"), boost::json::string::npos);
  EXPECT_EQ(auto_pull_holders({&a, &b}, "absent:latest"), 0);
}

// `corral check-config` on a file of one pool and one models[] rule with `auto_pull: VALUE`.
Finished auto_pull_check_config(const std::string& value) {
  return run_corral({"check-config", "-c",
                     write_temp("pools:\n  - name: p\n    backends:\n      - url: http://127.0.0.1:1\n"
                                "models:\n  - match: m\n    pool: p\n    auto_pull: " + value + "\n")});
}

TEST(LifecycleAutoPull, TheRuleKeyIsABoolean) {
  const auto ok = auto_pull_check_config("true");
  EXPECT_EQ(ok.exit_code, 0) << ok.stderr_text;
  const auto bad = auto_pull_check_config("sometimes");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.stderr_text.find("models[0].auto_pull"), std::string::npos) << bad.stderr_text;
}

}  // namespace
}  // namespace corral::testing
