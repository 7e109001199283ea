// Observability wired into the running gateway: the request counters equal the requests sent by
// concurrent clients, the live exposition passes `promtool check metrics`, /corral/api/status shows a
// model a request loaded and a worker that went down, and the access log has one JSON line per request
// with the documented fields.
#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
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

// Sum of the samples of `name` (exact series name, any labels) whose label text contains `filter`.
double sum_samples(const std::string& text, const std::string& name, const std::string& filter = {}) {
  double sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    if (!filter.empty() && line.find(filter) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// /metrics once `name` (filtered) sums to `expected` (or the last scrape when it never does). A request is
// accounted just after its last byte is written, so a client that scrapes the moment its answer arrived
// can beat the accounting of that very answer: the counters are eventually exact, and the test waits.
HttpResponse scrape_when(const Server& gw, const std::string& name, const std::string& filter, double expected) {
  HttpResponse r;
  (void)poll_until([&] {
    r = http_request(gw.address, "GET", "/metrics");
    return r.status == 200 && sum_samples(r.body, name, filter) == expected;
  });
  return r;
}

// N requests from `clients` threads at once; returns how many got 200.
int send_concurrently(const Server& gw, int clients, int per_client, const std::string& model) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      HttpConnection conn(gw.address);  // keep-alive: several requests per connection
      for (int i = 0; i < per_client; ++i) {
        const bool stream = (c + i) % 2 == 0;
        const auto r = conn.request("POST", "/api/generate", generate_body(model, 3, stream));
        if (r.status == 200) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  return ok.load();
}

TEST(GatewayObservability, CountersSayNAfterNConcurrentRequests) {
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim}, 2);
  ASSERT_TRUE(wait_ready(gw));
  constexpr int kClients = 4;
  constexpr int kPerClient = 10;
  constexpr int kN = kClients * kPerClient;
  ASSERT_EQ(send_concurrently(gw, kClients, kPerClient, "llama3:8b"), kN);

  // Quick mode has no admin listener: /metrics is on the main one.
  const auto scrape = scrape_when(gw, "ollama_gateway_requests_total", "", kN);
  ASSERT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = scrape.body;
  EXPECT_EQ(sum_samples(m, "ollama_gateway_requests_total"), kN) << m;
  EXPECT_EQ(sum_samples(m, "ollama_gateway_requests_total", R"(model="llama3:8b",status="200")"), kN);
  EXPECT_EQ(sum_samples(m, "ollama_backend_requests_total"), kN);
  EXPECT_EQ(sum_samples(m, "ollama_request_duration_seconds_count", R"(model="llama3:8b")"), kN);
  EXPECT_EQ(sum_samples(m, "ollama_time_to_first_token_seconds_count", R"(model="llama3:8b")"), kN);
  // num_predict 3: the simulator generates 3 tokens per request and reports them in the final object.
  EXPECT_EQ(sum_samples(m, "ollama_completion_tokens_total", R"(model="llama3:8b")"), 3 * kN);
  EXPECT_GT(sum_samples(m, "ollama_prompt_tokens_total", R"(model="llama3:8b")"), 0);
  EXPECT_EQ(sum_samples(m, "ollama_gateway_warm_hits_total") + sum_samples(m, "ollama_gateway_cold_loads_total"), kN);
  // The first requests wait for the one load (each of them saw it); later ones are warm hits.
  const double cold = sum_samples(m, "ollama_gateway_cold_loads_total");
  EXPECT_GE(cold, 1);
  EXPECT_LE(cold, kClients);
  EXPECT_EQ(sum_samples(m, "ollama_model_load_duration_seconds_count"), cold);
  EXPECT_EQ(sum_samples(m, "ollama_backend_up"), 1);
  EXPECT_EQ(sum_samples(m, "ollama_active_requests"), 0);
  EXPECT_GT(sum_samples(m, "ollama_gateway_sent_bytes_total"), 0);
  EXPECT_GT(sum_samples(m, "ollama_gateway_received_bytes_total"), 0);
  // Scrapes are not requests of the fleet.
  EXPECT_EQ(sum_samples(http_request(gw.address, "GET", "/metrics").body, "ollama_gateway_requests_total"), kN);
}

TEST(GatewayObservability, LiveExpositionPassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool not installed";
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim}, 2);
  ASSERT_TRUE(wait_ready(gw));
  ASSERT_EQ(send_concurrently(gw, 2, 3, "llama3:8b"), 6);
  EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("no-such-model")).status, 404);
  EXPECT_EQ(http_request(gw.address, "GET", "/api/nope").status, 404);
  const std::string text = scrape_when(gw, "ollama_gateway_requests_total", R"(status="404")", 2).body;
  const auto file = write_temp(text, ".prom");
  FILE* p = popen(("promtool check metrics < " + file + " 2>&1").c_str(), "r");
  std::string out;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int st = pclose(p);
  std::filesystem::remove(file);
  EXPECT_EQ(st, 0) << "promtool says:\n" << out << "\non:\n" << text;
  EXPECT_EQ(sum_samples(text, "ollama_gateway_requests_total", R"(status="404")"), 2) << text;
}

TEST(GatewayObservability, QueueDepthActiveRequestsAndRejectionsByPool) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "10"});
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n    backends:\n"
                                       "      - url: " + sim.url() + "\n        name: only\n        max_inflight: 1\n"
                                       "queue: {max_length: 1, timeout: 60s}\n")});
  ASSERT_TRUE(wait_ready(gw));
  const auto scrape = [&] { return http_request(gw.address, "GET", "/metrics").body; };
  HttpConnection running(gw.address);
  ASSERT_EQ(running.start("POST", "/api/generate", generate_body("llama3:8b", 500, true)).status, 200);
  ASSERT_TRUE(running.next_line());
  HttpResponse queued;
  std::thread waiter([&] { queued = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)); });
  // The HPA signal: one request waits in pool p's queue while the stream holds the only slot.
  ASSERT_TRUE(poll_until([&] { return sum_samples(scrape(), "ai_request_queue_depth", R"(pool="p")") == 1; }));
  std::string m = scrape();
  EXPECT_EQ(sum_samples(m, "ollama_active_requests", R"(backend="only")"), 1);
  EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 503);
  m = scrape_when(gw, "ollama_gateway_requests_total", R"(status="503")", 1).body;
  EXPECT_EQ(sum_samples(m, "ollama_gateway_queue_rejections_total", R"(pool="p",reason="full")"), 1);
  EXPECT_EQ(sum_samples(m, "ollama_gateway_requests_total", R"(status="503")"), 1);

  running.close();  // the stream's client leaves (499); the queued request gets the slot
  waiter.join();
  EXPECT_EQ(queued.status, 200);
  ASSERT_TRUE(poll_until([&] { return sum_samples(scrape(), "ollama_gateway_requests_total") == 3; }));
  m = scrape();
  EXPECT_EQ(sum_samples(m, "ollama_gateway_requests_total", R"(status="499")"), 1);
  EXPECT_EQ(sum_samples(m, "ai_request_queue_depth"), 0);
  EXPECT_EQ(sum_samples(m, "ollama_active_requests"), 0);
  EXPECT_EQ(sum_samples(m, "ollama_gateway_queue_wait_seconds_count", R"(pool="p")"), 2);
}

TEST(GatewayObservability, ScaleRecommendationFollowsThePoolQueue) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--tokens-per-second", "10"});
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 2\nadmin:\n  listen: 127.0.0.2:0\n"
                                       "pools:\n  - name: p\n    backends:\n      - url: " + sim.url() +
                                       "\n        max_inflight: 1\nqueue: {max_length: 20, timeout: 60s}\n")});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  const auto pool_p = [&] {
    return parse_json(http_request(admin, "GET", "/corral/api/scale").body).at("pools").as_array().at(0).as_object();
  };
  EXPECT_EQ(pool_p().at("recommended").as_int64(), 1);
  EXPECT_EQ(pool_p().at("direction").as_string(), "hold");

  HttpConnection running(gw.address);
  ASSERT_EQ(running.start("POST", "/api/generate", generate_body("llama3:8b", 500, true)).status, 200);
  ASSERT_TRUE(running.next_line());
  // The seed's rule: more than 10 queued per worker asks for one more worker.
  constexpr int kQueued = 11;
  std::vector<std::thread> queued;
  for (int i = 0; i < kQueued; ++i) {
    queued.emplace_back([&] { (void)http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)); });
  }
  // Each call is one observation; the one that sees the queue past the threshold steps up once.
  boost::json::object up;
  ASSERT_TRUE(poll_until([&] {
    up = pool_p();
    return up.at("recommended").as_int64() != 1;
  }));
  EXPECT_EQ(up.at("recommended").as_int64(), 2);
  EXPECT_EQ(up.at("direction").as_string(), "up");
  EXPECT_GT(up.at("queued").as_int64(), 10);
  EXPECT_EQ(pool_p().at("recommended").as_int64(), 2);  // the cooldown holds it: no second step
  EXPECT_EQ(sum_samples(http_request(admin, "GET", "/metrics").body, "ollama_gateway_recommended_workers", R"(pool="p")"), 2);
  running.close();
  for (auto& t : queued) t.join();
  // Within the cooldowns the recommendation holds once the queue is gone.
  EXPECT_EQ(pool_p().at("recommended").as_int64(), 2);
}

TEST(GatewayObservability, RetriesAndEjectionsAreCountedOnceRequestsStillOnce) {
  auto sim = start_sim({"llama3:8b=1GB"});
  // A backend nobody listens on: a port just closed. Health checks are too slow to notice within the
  // test, so the data path meets it, retries elsewhere, and the outlier detector ejects it.
  std::string dead;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    dead = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
  }
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 2\nhealth: {interval: 1h}\n"
                                       "outlier: {consecutive_failures: 2, max_ejection_percent: 50}\n"
                                       "pools:\n  - name: p\n    policy: round_robin\n    backends:\n"
                                       "      - url: " + dead + "\n        name: dead\n"
                                       "      - url: " + sim.url() + "\n        name: alive\n")});
  ASSERT_TRUE(wait_ready(gw));
  constexpr int kN = 10;
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
  }
  const std::string m = scrape_when(gw, "ollama_gateway_requests_total", "", kN).body;
  EXPECT_EQ(sum_samples(m, "ollama_gateway_requests_total"), kN);  // a retried request is still one request
  EXPECT_EQ(sum_samples(m, "ollama_backend_requests_total", R"(backend="alive")"), kN);
  const double retries = sum_samples(m, "ollama_gateway_retries_total", R"(backend="dead")");
  EXPECT_GE(retries, 2);  // until the second failure ejects it
  EXPECT_EQ(sum_samples(m, "ollama_gateway_retries_total", R"(backend="alive")"), 0);
  EXPECT_EQ(sum_samples(m, "ollama_backend_ejections_total", R"(backend="dead")"), 1);
  EXPECT_EQ(sum_samples(m, "ollama_backend_up", R"(backend="dead")"), 0);  // ejected
}

// Two sims behind a configured gateway with an admin listener and a file access log.
struct LoggedFleet {
  LoggedFleet() {
    const Server& a = fleet.sims[0];
    const Server& b = fleet.sims[1];
    fleet.serve(write_temp("listen: 127.0.0.1:0\nthreads: 2\nadmin:\n  listen: 127.0.0.2:0\n"
                           "access_log:\n  path: " + log_path + "\n"
                           "health:\n  interval: 100ms\n  timeout: 500ms\n  fall: 1\n  rise: 1\n"
                           "pools:\n  - name: gpus\n    policy: round_robin\n    backends:\n"
                           "      - url: " + a.url() + "\n        name: gpu-a\n        vram: 24GiB\n"
                           "      - url: " + b.url() + "\n        name: gpu-b\n"),
                /*admin_listener=*/true);
  }
  ~LoggedFleet() { std::filesystem::remove(log_path); }
  Fleet fleet{{{"llama3:8b=1GB"}, {"llama3:8b=1GB"}}};
  std::string log_path = write_temp("", ".log");
};

const boost::json::object* worker_named(const boost::json::object& status, std::string_view name) {
  for (const auto& w : status.at("workers").as_array()) {
    if (w.as_object().at("name").as_string() == name) return &w.as_object();
  }
  return nullptr;
}

TEST(GatewayObservability, StatusShowsLoadedModelAndDownWorker) {
  LoggedFleet logged;
  const Server& gw = *logged.fleet.gw;
  const std::string& admin = logged.fleet.admin;
  Server& b = logged.fleet.sims[1];
  ASSERT_TRUE(wait_ready(gw));

  // The page is at / and /corral/ on the admin listener; /metrics only there when it exists.
  const auto page = http_request(admin, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/corral/api/status"), std::string::npos);
  EXPECT_EQ(http_request(admin, "GET", "/corral/").body, page.body);
  EXPECT_EQ(http_request(admin, "GET", "/metrics").status, 200);
  EXPECT_EQ(http_request(gw.address, "GET", "/metrics").status, 404);
  EXPECT_EQ(http_request(gw.address, "GET", "/").body, "Ollama is running");

  auto status = parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object();
  ASSERT_NE(worker_named(status, "gpu-a"), nullptr);
  EXPECT_EQ(worker_named(status, "gpu-a")->at("models").as_array().size(), 0u);
  EXPECT_EQ(worker_named(status, "gpu-a")->at("vram_total_bytes").as_int64(), 24LL << 30);

  const auto before = status.at("window").as_object().at("requests").as_int64();
  ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b")).status, 200);
  ASSERT_TRUE(poll_until([&] {  // accounted just after the answer's last byte
    status = parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object();
    return status.at("window").as_object().at("requests").as_int64() == before + 1;
  }));
  std::size_t loaded = 0;
  for (const auto& w : status.at("workers").as_array()) {
    for (const auto& model : w.as_object().at("models").as_array()) {
      if (model.as_object().at("name").as_string() == "llama3:8b") {
        ++loaded;
        EXPECT_GT(model.as_object().at("vram_bytes").as_int64(), 0);
      }
    }
  }
  EXPECT_EQ(loaded, 1u);

  b.process.reset();  // gpu-b goes away: the health checks mark it down
  ASSERT_TRUE(poll_until([&] {
    const auto s = parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object();
    return worker_named(s, "gpu-b")->at("health").as_string() == "unhealthy";
  }));
  status = parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object();
  EXPECT_EQ(worker_named(status, "gpu-a")->at("health").as_string(), "healthy");
  const std::string metrics = http_request(admin, "GET", "/metrics").body;
  EXPECT_EQ(sum_samples(metrics, "ollama_backend_up", R"(backend="gpu-b")"), 0);
  EXPECT_EQ(sum_samples(metrics, "ollama_backend_up", R"(backend="gpu-a")"), 1);
  ASSERT_EQ(http_request(admin, "POST", "/corral/api/reload").status, 200);
  EXPECT_EQ(sum_samples(http_request(admin, "GET", "/metrics").body, "ollama_gateway_config_reloads_total",
                        R"(result="success")"), 1);
}

// A cold load is visible while it runs: /corral/api/status lists it (model, backend, time so far, time
// expected) and /metrics has ollama_model_loading_seconds for it; both clear once the model is loaded.
TEST(GatewayObservability, ColdLoadIsVisibleWhileItRuns) {
  // 3 GB at 2 GB/s: a 1.5 s load, long enough to be seen by polling, short for the suite.
  auto sim = start_sim({"big:7b=3GB"}, {"--load-gbps", "2"});
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.2:0\n"
                                       "pools:\n  - name: gpus\n    backends:\n      - url: " + sim.url() +
                                       "\n        name: gpu-a\n        vram: 24GiB\n")});
  const std::string admin = gw.admin_address();
  ASSERT_TRUE(wait_ready(gw));
  std::thread cold([&] { EXPECT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("big:7b")).status, 200); });
  boost::json::object seen;
  const bool loading_seen = poll_until([&] {
    const auto s = parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object();
    if (s.at("loading").as_array().empty()) return false;
    seen = s.at("loading").as_array().front().as_object();
    return true;
  });
  std::string metrics_during = http_request(admin, "GET", "/metrics").body;
  cold.join();
  ASSERT_TRUE(loading_seen);
  EXPECT_EQ(seen.at("model").as_string(), "big:7b");
  EXPECT_EQ(seen.at("backend").as_string(), "gpu-a");
  EXPECT_EQ(seen.at("pool").as_string(), "gpus");
  EXPECT_GE(seen.at("loading_s").to_number<double>(), 0.0);
  EXPECT_GT(seen.at("expected_remaining_s").to_number<double>(), 0.0);  // 3 GB at the default rate
  EXPECT_NE(metrics_during.find(R"(ollama_model_loading_seconds{model="big:7b",backend="gpu-a"})"), std::string::npos);
  ASSERT_TRUE(poll_until([&] {
    return parse_json(http_request(admin, "GET", "/corral/api/status").body).as_object().at("loading").as_array().empty();
  }));
  EXPECT_EQ(sum_samples(http_request(admin, "GET", "/metrics").body, "ollama_model_loading_seconds", R"(backend="gpu-a")"), 0);
}

std::vector<boost::json::object> log_lines(const std::string& path) {
  std::vector<boost::json::object> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(parse_json(line).as_object());
  return out;
}

TEST(GatewayObservability, AccessLogHasOneJsonLinePerRequest) {
  LoggedFleet logged;
  const Server& gw = *logged.fleet.gw;
  const std::string& log_path = logged.log_path;
  ASSERT_TRUE(wait_ready(gw));
  ASSERT_EQ(send_concurrently(gw, 3, 4, "llama3:8b"), 12);
  EXPECT_EQ(http_request(gw.address, "GET", "/api/nope", {}, {{"X-Request-ID", "probe-404"}}).status, 404);
  constexpr std::size_t kRequests = 13;
  // The writer thread flushes each line; wait for them rather than for time.
  ASSERT_TRUE(poll_until([&] { return log_lines(log_path).size() >= kRequests; }));
  const auto lines = log_lines(log_path);
  EXPECT_EQ(lines.size(), kRequests);
  std::size_t generated = 0;
  for (const auto& l : lines) {
    for (const char* key : {"time", "request_id", "client", "method", "path", "model", "pool", "backend", "status",
                            "retries", "queue_wait_ms", "ttfb_ms", "duration_ms", "prompt_tokens",
                            "completion_tokens", "bytes_in", "bytes_out"}) {
      EXPECT_TRUE(l.contains(key)) << key << " missing in " << boost::json::serialize(l);
    }
    if (l.at("path").as_string() == "/api/generate") {
      ++generated;
      EXPECT_EQ(l.at("status").as_int64(), 200);
      EXPECT_EQ(l.at("model").as_string(), "llama3:8b");
      EXPECT_EQ(l.at("pool").as_string(), "gpus");
      const auto backend = std::string(l.at("backend").as_string());
      EXPECT_TRUE(backend == "gpu-a" || backend == "gpu-b") << backend;
      EXPECT_EQ(l.at("completion_tokens").as_int64(), 3);
      EXPECT_EQ(l.at("client").as_string(), "127.0.0.1");
      EXPECT_EQ(l.at("method").as_string(), "POST");
    } else {
      EXPECT_EQ(l.at("status").as_int64(), 404);
      EXPECT_EQ(l.at("request_id").as_string(), "probe-404");
    }
  }
  EXPECT_EQ(generated, 12u);
}

}  // namespace
}  // namespace corral::testing
