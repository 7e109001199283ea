// Management calls made safe (docs/models.md): /api/delete is refused with 409 while the model runs or
// waits in its pool, or is pinned, and goes through once it is idle; pulls through the gateway run one
// at a time per backend.
#include <condition_variable>
#include <mutex>

#include "integration/lifecycle_fleet.hpp"

namespace corral::gwtest {
namespace {

// Management calls are open on the admin listener only (docs/security.md).
const std::string kAdmin = "admin:\n  listen: 127.0.0.2:0\n";
std::string admin_address(const Server& gw) { return gw.process->line().substr(6); }  // "admin HOST:PORT"

TEST(LifecycleManagement, DeleteIsRefusedWhileTheModelIsInUse) {
  auto sim = start_sim({"m=1GB", "keep=1GB"});
  Server gw({"serve", "-c", fleet_config({{&sim, "24GB"}},
                                         "models:\n  - match: keep\n    pool: gpu\n    pinned: true\n" + kAdmin)});
  const std::string admin = admin_address(gw);
  ASSERT_TRUE(wait_ready(gw));
  Client streaming(gw.address);
  // 400 tokens at 200/s: the generation is still running when the delete arrives (we hold its first line).
  ASSERT_EQ(streaming.start_stream("POST", "/api/generate", generate_body("m", 400, true)), 200);
  ASSERT_TRUE(streaming.next_line().has_value());
  const auto refused = request(admin, "DELETE", "/api/delete", R"({"model":"m"})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(parse_json(refused.body).at("error").as_string().find("in use"), boost::json::string::npos);
  EXPECT_EQ(stat(sim, "requests"), 1);
  while (streaming.next_line()) {
  }
  ASSERT_TRUE(streaming.stream_complete());
  EXPECT_EQ(request(admin, "DELETE", "/api/delete", R"({"model":"m"})").status, 200);
  // The pinned model is never deleted through the gateway.
  const auto pinned = request(admin, "DELETE", "/api/delete", R"({"model":"keep"})");
  EXPECT_EQ(pinned.status, 409);
  EXPECT_NE(parse_json(pinned.body).at("error").as_string().find("pinned"), boost::json::string::npos);
  EXPECT_EQ(request(sim.address, "POST", "/api/show", R"({"model":"keep"})").status, 200);
}

// A stand-in Ollama that holds every /api/pull open until the test releases it and counts how many it
// holds at once: the simulator finishes a pull by itself, which would hide whether two overlapped.
class HeldPullBackend {
 public:
  HeldPullBackend() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    address = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~HeldPullBackend() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      released_ = 1 << 20;
    }
    cv_.notify_all();
    // A blocking accept() does not return when another thread closes the acceptor: wake it with a connect.
    boost::system::error_code ec;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    acceptor_.close(ec);
    for (auto& t : connections_) t.join();
  }
  /// Lets one held pull finish.
  void release_one() {
    std::lock_guard lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  /// Waits until `n` pulls have arrived in total.
  bool wait_arrived(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return arrived_ >= n; });
  }
  int max_concurrent() {
    std::lock_guard lock(mu_);
    return max_active_;
  }
  int arrived() {
    std::lock_guard lock(mu_);
    return arrived_;
  }
  std::string address;
  [[nodiscard]] std::string url() const { return "http://" + address; }

 private:
  void accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      std::lock_guard lock(mu_);
      if (stopping_) return;
      connections_.emplace_back([this, sock = std::move(s)]() mutable { serve(std::move(sock)); });
    }
  }
  void serve(tcp::socket sock) {
    boost::beast::flat_buffer buf;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(sock, buf, req, ec);
      if (ec) return;
      std::string body = R"({"models":[]})";
      if (req.target() == "/api/pull") {
        std::unique_lock lock(mu_);
        ++arrived_;
        max_active_ = std::max(max_active_, ++active_);
        cv_.notify_all();
        cv_.wait(lock, [&] { return released_ > 0; });
        --released_;
        --active_;
        body = R"({"status":"success"})";
      }
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.set(bhttp::field::content_type, "application/json; charset=utf-8");
      res.body() = body;
      res.prepare_payload();
      bhttp::write(sock, res, ec);
      if (ec) return;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::vector<std::thread> connections_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0, max_active_ = 0, arrived_ = 0, released_ = 0;
  bool stopping_ = false;
};

TEST(LifecycleManagement, PullsToOneBackendRunOneAtATime) {
  HeldPullBackend held;
  auto other = start_sim({"m=1GB"});
  const std::string config = "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 100ms\n"
                             "pools:\n  - name: gpu\n    backends:\n      - url: " + held.url() +
                             "\n      - url: " + other.url() + "\n";
  Server gw({"serve", "-c", write_temp(config + kAdmin)});
  const std::string admin = admin_address(gw);
  ASSERT_TRUE(wait_ready(gw));
  std::vector<std::thread> pulls;
  std::atomic<int> ok{0};
  for (const char* model : {"new1", "new2", "new3"}) {
    pulls.emplace_back([&, model] {
      const auto r = request(admin, "POST", "/api/pull", std::string(R"({"stream":false,"model":")") + model + "\"}",
                             {{"X-Corral-Backend", held.address}});
      if (r.status == 200) ++ok;
    });
  }
  // Three pulls for one backend: it holds exactly one at a time, and each release lets the next in. The
  // other two are known to be waiting in the gateway (its queue gauge) before the first is released.
  ASSERT_TRUE(held.wait_arrived(1));
  ASSERT_TRUE(wait_until([&] {
    return request(admin, "GET", "/metrics").body.find("ai_request_queue_depth{pool=\"gpu\"} 2") !=
           std::string::npos;
  }));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(held.wait_arrived(i));
    EXPECT_EQ(held.arrived(), i);
    held.release_one();
  }
  for (auto& t : pulls) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(held.max_concurrent(), 1);
  EXPECT_EQ(held.arrived(), 3);
  EXPECT_EQ(stat(other, "requests"), 0);  // the named backend only
}

}  // namespace
}  // namespace corral::gwtest
