// Management calls made safe (docs/models.md): /api/delete is refused with 409 while the model runs or
// waits in its pool, or is pinned, and goes through once it is idle; pulls through the gateway run one
// at a time per backend; pull, create, copy and delete reach every backend concerned (or those named in
// X-Corral-Backend), with merged progress and an answer naming the backends that failed, and the
// gateway's inventory follows at once (the fleets poll once an hour here, so only the gateway's own
// update can explain a routing change).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
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
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Management calls are open on the admin listener only (docs/security.md).
const std::string kAdmin = "admin:\n  listen: 127.0.0.2:0\n";

TEST(LifecycleManagement, DeleteIsRefusedWhileTheModelIsInUse) {
  auto sim = start_sim({"m=1GB", "keep=1GB"});
  Server gw({"serve", "-c", fleet_config({{&sim, "24GB"}},
                                         "models:\n  - match: keep\n    pool: gpu\n    pinned: true\n" + kAdmin)});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  HttpConnection streaming(gw.address);
  // 400 tokens at 200/s: the generation is still running when the delete arrives (we hold its first line).
  ASSERT_EQ(streaming.start("POST", "/api/generate", generate_body("m", 400, true)).status, 200);
  ASSERT_TRUE(streaming.next_line().has_value());
  const auto refused = http_request(admin, "DELETE", "/api/delete", R"({"model":"m"})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(parse_json(refused.body).at("error").as_string().find("in use"), boost::json::string::npos);
  EXPECT_EQ(stat(sim, "requests"), 1);
  while (streaming.next_line()) {
  }
  ASSERT_TRUE(streaming.body_complete());
  // The gateway releases the request just after relaying its last byte, so a delete sent the moment the
  // client has read it may still be refused: retry while the answer is 409, then it must succeed.
  int status = 0;
  (void)poll_until([&] { return (status = http_request(admin, "DELETE", "/api/delete", R"({"model":"m"})").status) != 409; });
  EXPECT_EQ(status, 200);
  // The pinned model is never deleted through the gateway.
  const auto pinned = http_request(admin, "DELETE", "/api/delete", R"({"model":"keep"})");
  EXPECT_EQ(pinned.status, 409);
  EXPECT_NE(parse_json(pinned.body).at("error").as_string().find("pinned"), boost::json::string::npos);
  EXPECT_EQ(http_request(sim.address, "POST", "/api/show", R"({"model":"keep"})").status, 200);
}

// A stand-in Ollama that holds every /api/pull open until the test releases it and counts how many it
// holds at once: the simulator finishes a pull by itself, which would hide whether two overlapped. With
// `model`, its /api/tags lists that model and it never answers an /api/generate (a backend that stays
// silent past any first_byte).
class HeldPullBackend {
 public:
  explicit HeldPullBackend(std::string model = {})
      : model_(std::move(model)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
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
  /// The /api/generate requests held unanswered so far.
  int generates() {
    std::lock_guard lock(mu_);
    return generates_;
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
      if (!model_.empty() && req.target() == "/api/tags") {
        body = R"({"models":[{"name":")" + model_ + R"(:latest","model":")" + model_ + R"(:latest","size":1000000}]})";
      } else if (!model_.empty() && req.target() == "/api/generate") {
        std::unique_lock lock(mu_);
        ++generates_;
        cv_.wait(lock, [&] { return stopping_; });
        return;
      } else if (req.target() == "/api/pull") {
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

  std::string model_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::vector<std::thread> connections_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0, max_active_ = 0, arrived_ = 0, released_ = 0, generates_ = 0;
  bool stopping_ = false;
};

TEST(LifecycleManagement, PullsToOneBackendRunOneAtATime) {
  HeldPullBackend held;
  auto other = start_sim({"m=1GB"});
  const std::string config = "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 100ms\n"
                             "pools:\n  - name: gpu\n    backends:\n      - url: " + held.url() +
                             "\n      - url: " + other.url() + "\n";
  Server gw({"serve", "-c", write_temp(config + kAdmin)});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  std::vector<std::thread> pulls;
  std::atomic<int> ok{0};
  for (const char* model : {"new1", "new2", "new3"}) {
    pulls.emplace_back([&, model] {
      const auto r = http_request(admin, "POST", "/api/pull", std::string(R"({"stream":false,"model":")") + model + "\"}",
                                  {{"X-Corral-Backend", held.address}});
      if (r.status == 200) ++ok;
    });
  }
  // Three pulls for one backend: it holds exactly one at a time, and each release lets the next in. The
  // other two are known to be waiting in the gateway (its queue gauge) before the first is released.
  ASSERT_TRUE(held.wait_arrived(1));
  ASSERT_TRUE(poll_until([&] {
    return http_request(admin, "GET", "/metrics").body.find("ai_request_queue_depth{pool=\"gpu\"} 2") !=
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

TEST(LifecycleManagement, AClientThatLeavesCancelsItsPull) {
  HeldPullBackend held;
  const std::string config = "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 100ms\n"
                             "pools:\n  - name: gpu\n    backends:\n      - url: " + held.url() + "\n";
  Server gw({"serve", "-c", write_temp(config + kAdmin)});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  {
    HttpConnection leaving(admin);
    const std::string body = R"({"model":"big"})";
    leaving.send_raw("POST /api/pull HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(held.wait_arrived(1));
    leaving.close();
  }
  // The held pull still has its backend's pull slot unless the gateway gave it up with its client: the
  // next pull gets in without the first being released.
  std::thread next([&] { http_request(admin, "POST", "/api/pull", R"({"model":"small","stream":false})"); });
  EXPECT_TRUE(held.wait_arrived(2));
  held.release_one();
  held.release_one();
  next.join();
}

// A gateway config with `held` as its only backend, the admin listener and `extra` top-level keys.
std::string held_pull_config(const HeldPullBackend& held, const std::string& extra = "") {
  return "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 1h\n"
         "pools:\n  - name: gpu\n    backends:\n      - url: " + held.url() + "\n" + extra + kAdmin;
}

// Pulls answer within `pull_timeout`, everything else within 200ms of first_byte; `fresh` is auto-pulled.
std::string pull_timeout_config(const HeldPullBackend& held, const std::string& pull_timeout) {
  return held_pull_config(held, "timeouts: {first_byte: 200ms, pull: " + pull_timeout + "}\n"
                                "models:\n  - match: fresh\n    pool: gpu\n    auto_pull: true\n");
}

// A streamed pull behind another pull on its backend is told so at once (not silence until its turn),
// before its own progress; the first pull, which did not wait, hears no such line; a waiting client that
// leaves gives up its place in the queue.
TEST(LifecycleManagement, ASecondStreamedPullHearsItWaitsForTheFirst) {
  HeldPullBackend held;
  Server gw({"serve", "-c", write_temp(held_pull_config(held))});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  HttpResponse first;
  std::thread first_pull([&] { first = http_request(admin, "POST", "/api/pull", R"({"model":"one"})"); });
  ASSERT_TRUE(held.wait_arrived(1));  // the first pull holds the backend's pull slot
  HttpConnection second(admin);
  ASSERT_EQ(second.start("POST", "/api/pull", R"({"model":"two"})").status, 200);
  const std::string waiting = R"({"status":"waiting for another pull on )" + held.address + R"(","backend":")" +
                              held.address + "\"}";
  EXPECT_EQ(second.next_line(), waiting);
  {
    HttpConnection leaving(admin);
    ASSERT_EQ(leaving.start("POST", "/api/pull", R"({"model":"three"})").status, 200);
    EXPECT_EQ(leaving.next_line(), waiting);
    leaving.close();
  }
  ASSERT_TRUE(poll_until([&] {
    return http_request(admin, "GET", "/metrics").body.find("ai_request_queue_depth{pool=\"gpu\"} 1") != std::string::npos;
  }));
  held.release_one();
  ASSERT_TRUE(held.wait_arrived(2));
  held.release_one();
  std::vector<std::string> rest;
  while (auto line = second.next_line()) rest.push_back(*line);
  ASSERT_TRUE(second.body_complete());
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), "{\"status\":\"success\"}");
  first_pull.join();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body.find("waiting"), std::string::npos) << first.body;
  EXPECT_EQ(first.body, "{\"status\":\"success\"}\n");
  EXPECT_EQ(held.arrived(), 2);
}

// A stream:false pull answers only once the model is in: timeouts.pull, not first_byte, bounds it.
TEST(LifecycleManagement, APullMayOutlastFirstByte) {
  HeldPullBackend held("slow");  // holds pulls until released, and generates for good
  Server gw({"serve", "-c", write_temp(pull_timeout_config(held, "60s"))});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  HttpResponse r;
  std::thread pull([&] { r = http_request(admin, "POST", "/api/pull", R"({"model":"big","stream":false})"); });
  ASSERT_TRUE(held.wait_arrived(1));
  // A generate sent after the pull arrived meets first_byte (504, never retried): by the gateway's own
  // clock the pull, still open, has now waited longer than first_byte.
  EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("slow", 1)).status, 504);
  EXPECT_EQ(held.generates(), 1);
  EXPECT_EQ(held.arrived(), 1);
  held.release_one();
  pull.join();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success"})");
}

TEST(LifecycleManagement, APullLongerThanThePullTimeoutFailsNamingIt) {
  HeldPullBackend held;  // never releases: every pull outlasts timeouts.pull
  Server gw({"serve", "-c", write_temp(pull_timeout_config(held, "300ms"))});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  const auto managed = http_request(admin, "POST", "/api/pull", R"({"model":"big","stream":false})");
  EXPECT_EQ(managed.status, 502);
  EXPECT_EQ(std::string(parse_json(managed.body).at("error").as_string()),
            "pull failed on " + held.address + ": no answer within timeouts.pull");
  // The auto-pull of `fresh` (no backend has it) meets the same limit.
  const auto automatic = http_request(gw.address, "POST", "/api/generate", generate_body("fresh", 2));
  EXPECT_EQ(automatic.status, 502);
  EXPECT_NE(automatic.body.find("timeouts.pull"), std::string::npos) << automatic.body;
  EXPECT_EQ(held.arrived(), 2);
}

// A gateway with its admin listener over one sim per entry of `models` (each a list of NAME=SIZE), polling
// models once an hour: after the first round, only the gateway's own updates change its inventory.
struct ManagedFleet : Fleet {
  explicit ManagedFleet(const std::vector<std::vector<std::string>>& models) : Fleet(models) {
    serve(fleet_config(backends("24GB"), kAdmin, "1h"), /*admin_listener=*/true);
  }
};

TEST(LifecycleManagement, PullReachesEveryWorkerWithTaggedProgressAndOneSuccess) {
  ManagedFleet fleet({{"m=1GB"}, {"m=1GB"}});
  ASSERT_TRUE(wait_ready(*fleet.gw));
  const Server &a = fleet.sims[0], &b = fleet.sims[1];
  const std::string& admin = fleet.admin;
  const auto r = http_request(admin, "POST", "/api/pull", R"({"model":"fresh:8b"})");  // stream: Ollama's default
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/x-ndjson");
  const auto lines = ndjson_lines(r.body);
  ASSERT_FALSE(lines.empty());
  std::map<std::string, int> progress, finished;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const auto& l = lines[i];
    ASSERT_TRUE(l.contains("backend")) << boost::json::serialize(l);
    const std::string backend(l.at("backend").as_string());
    const std::string status(l.at("status").as_string());
    EXPECT_NE(status, "success");  // only the merged last line says success (clients stop reading there)
    if (status == "finished") ++finished[backend];
    if (l.contains("digest")) {  // Ollama's progress fields pass untouched
      EXPECT_TRUE(l.at("total").is_int64());
      ++progress[backend];
    }
  }
  for (const auto* s : {&a, &b}) {
    EXPECT_GT(progress[s->address], 0) << s->address;
    EXPECT_EQ(finished[s->address], 1) << s->address;
    EXPECT_TRUE(lists_model(*s, "fresh:8b")) << s->address;
  }
  EXPECT_EQ(boost::json::serialize(lines.back()), R"({"status":"success"})");
  // stream:false: one object at the end.
  const auto quiet = http_request(admin, "POST", "/api/pull", R"({"model":"quiet","stream":false})");
  EXPECT_EQ(quiet.status, 200);
  EXPECT_EQ(quiet.body, R"({"status":"success"})");
  EXPECT_TRUE(lists_model(a, "quiet:latest"));
  EXPECT_TRUE(lists_model(b, "quiet:latest"));
}

TEST(LifecycleManagement, APulledModelIsRoutedToItsWorkerAtOnce) {
  ManagedFleet fleet({{"m=1GB"}, {"m=1GB"}});
  ASSERT_TRUE(wait_ready(*fleet.gw));
  const Server &a = fleet.sims[0], &b = fleet.sims[1];
  const std::string& admin = fleet.admin;
  const auto r = http_request(admin, "POST", "/api/pull", R"({"model":"fresh","stream":false})",
                              {{"X-Corral-Backend", a.address}});
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(lists_model(a, "fresh:latest"));
  EXPECT_FALSE(lists_model(b, "fresh:latest"));
  // The next poll is an hour away: only the gateway's own inventory update sends these to `a`.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_request(fleet.gw->address, "POST", "/api/generate", generate_body("fresh", 2)).status, 200);
  EXPECT_EQ(stat(a, "requests"), 3);
  EXPECT_EQ(stat(b, "requests"), 0);
}

TEST(LifecycleManagement, AFailingWorkerEndsThePullWithAnErrorNamingIt) {
  ManagedFleet fleet({{"m=1GB"}, {"m=1GB"}});
  ASSERT_TRUE(wait_ready(*fleet.gw));
  const Server &a = fleet.sims[0], &b = fleet.sims[1];
  const std::string& admin = fleet.admin;
  // `b` takes no new connection: named in the header, it is tried whatever its health checks say by then.
  ASSERT_EQ(http_request(b.address, "POST", "/sim/fault", R"({"refuse_connections":true})").status, 200);
  const Headers both{{"X-Corral-Backend", a.address + "," + b.address}};
  const auto streamed = http_request(admin, "POST", "/api/pull", R"({"model":"fresh"})", both);
  ASSERT_EQ(streamed.status, 200);
  const auto lines = ndjson_lines(streamed.body);
  ASSERT_GE(lines.size(), 2u);
  bool a_finished = false;
  for (const auto& l : lines) {
    if (l.contains("status") && l.at("status").as_string() == "finished") a_finished = l.at("backend").as_string() == a.address;
  }
  EXPECT_TRUE(a_finished);
  ASSERT_TRUE(lines.back().contains("error")) << streamed.body;
  const std::string error(lines.back().at("error").as_string());
  EXPECT_EQ(error.rfind("pull failed on " + b.address + ": ", 0), 0u) << error;
  EXPECT_EQ(error.find(a.address), std::string::npos) << error;
  EXPECT_TRUE(lists_model(a, "fresh:latest"));
  // Not streamed: a 502 naming the worker.
  const auto quiet = http_request(admin, "POST", "/api/pull", R"({"model":"other","stream":false})", both);
  EXPECT_EQ(quiet.status, 502);
  EXPECT_NE(parse_json(quiet.body).at("error").as_string().find("pull failed on " + b.address), boost::json::string::npos);
}

TEST(LifecycleManagement, DeleteReachesEveryHolderAndRoutingForgetsIt) {
  ManagedFleet fleet({{"m=1GB", "n=1GB"}, {"m=1GB", "n=1GB"}, {"other=1GB"}});
  ASSERT_TRUE(wait_ready(*fleet.gw));
  const Server &a = fleet.sims[0], &b = fleet.sims[1], &c = fleet.sims[2];
  const std::string& admin = fleet.admin;
  const auto deleted = http_request(admin, "DELETE", "/api/delete", R"({"model":"m"})");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, "");
  EXPECT_FALSE(lists_model(a, "m:latest"));
  EXPECT_FALSE(lists_model(b, "m:latest"));
  // Nobody has it any more (the gateway knows without a poll): Ollama's 404.
  const auto again = http_request(admin, "DELETE", "/api/delete", R"({"model":"m"})");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(parse_json(again.body).at("error").as_string(), "model 'm' not found");
  // Deleted on `a` only: the model's requests go to `b` at once.
  ASSERT_EQ(http_request(admin, "DELETE", "/api/delete", R"({"model":"n"})", {{"X-Corral-Backend", a.address}}).status, 200);
  EXPECT_FALSE(lists_model(a, "n:latest"));
  EXPECT_TRUE(lists_model(b, "n:latest"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_request(fleet.gw->address, "POST", "/api/generate", generate_body("n", 2)).status, 200);
  EXPECT_EQ(stat(a, "requests"), 0);
  EXPECT_EQ(stat(b, "requests"), 3);
  EXPECT_EQ(stat(c, "requests"), 0);
  // An unknown name in the header is the client's mistake.
  const auto unknown = http_request(admin, "DELETE", "/api/delete", R"({"model":"n"})", {{"X-Corral-Backend", "nobody"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(parse_json(unknown.body).at("error").as_string().find("no backend named 'nobody'"), boost::json::string::npos);
}

TEST(LifecycleManagement, CopyAndCreateReachEveryWorker) {
  ManagedFleet fleet({{"m=1GB"}, {"m=1GB"}});
  ASSERT_TRUE(wait_ready(*fleet.gw));
  const Server &a = fleet.sims[0], &b = fleet.sims[1];
  const std::string& admin = fleet.admin;
  const auto copied = http_request(admin, "POST", "/api/copy", R"({"source":"m","destination":"m2"})");
  EXPECT_EQ(copied.status, 200);
  EXPECT_EQ(copied.body, "");
  const auto created = http_request(admin, "POST", "/api/create", R"({"model":"m3","from":"m"})");
  ASSERT_EQ(created.status, 200);
  const auto lines = ndjson_lines(created.body);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(boost::json::serialize(lines.back()), R"({"status":"success"})");
  std::map<std::string, int> finished;
  for (const auto& l : lines) {
    if (l.contains("backend") && l.at("status").as_string() == "finished") ++finished[std::string(l.at("backend").as_string())];
  }
  for (const auto* s : {&a, &b}) {
    EXPECT_TRUE(lists_model(*s, "m2:latest")) << s->address;
    EXPECT_TRUE(lists_model(*s, "m3:latest")) << s->address;
    EXPECT_EQ(finished[s->address], 1) << s->address;
  }
  // The same client error from every worker is passed on as it is (Ollama's 404 for a missing source).
  const auto missing = http_request(admin, "POST", "/api/create", R"({"model":"m4","from":"absent","stream":false})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(parse_json(missing.body).at("error").as_string(), "model 'absent' not found");
  // The copies are routable at once.
  EXPECT_EQ(http_request(fleet.gw->address, "POST", "/api/generate", generate_body("m2", 2)).status, 200);
}

}  // namespace
}  // namespace corral::testing
