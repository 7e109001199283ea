// corral sim's faults on demand (POST /sim/fault, --fault) as a client meets them: error answers in
// each API's shape for a number of requests, a stream that stalls or is cut after N chunks, refused
// connections, slow health endpoints, a crash-like exit, and DELETE /sim/fault putting things right.
// The gateway's failover and ejection tests depend on each of these behaving exactly so.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <string>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/sim.hpp"

namespace {

using namespace corral::testing;
namespace json = boost::json;

constexpr std::string_view kGenerate = R"({"model":"llama3:8b","prompt":"x","stream":false,"options":{"num_predict":2}})";
constexpr std::string_view kStream = R"({"model":"llama3:8b","prompt":"x","options":{"num_predict":10}})";

Server fault_sim(std::vector<std::string> extra = {}) {
  extra.insert(extra.end(), {"--tokens-per-second", "1000", "--load-gbps", "1000"});
  return start_sim({"llama3:8b=1GB"}, extra);
}

json::object post_fault(const std::string& address, std::string_view plan) {
  const auto r = http_post(address, "/sim/fault", plan);
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body).as_object();
}

TEST(SimFaults, ErrorStatusHitsTheGivenNumberOfRequestsInEachApisShape) {
  auto sim = fault_sim();
  const auto plan = post_fault(sim.address, R"({"error_status":500,"requests":2})");
  EXPECT_EQ(plan.at("error_status").as_int64(), 500);
  EXPECT_EQ(plan.at("requests").as_int64(), 2);

  const auto native = http_post(sim.address, "/api/generate", kGenerate);
  EXPECT_EQ(native.status, 500);
  EXPECT_EQ(native.body, R"({"error":"an error was encountered while running the model: simulated fault"})");
  const auto openai = http_post(sim.address, "/v1/chat/completions",
                                R"({"model":"llama3:8b","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(openai.status, 500);
  EXPECT_EQ(json::parse(openai.body).at("error").at("message").as_string(),
            "an error was encountered while running the model: simulated fault");
  // The plan is used up: the third request is served.
  EXPECT_EQ(http_post(sim.address, "/api/generate", kGenerate).status, 200);
  EXPECT_EQ(stat(sim.address, "faults_injected"), 2);
}

TEST(SimFaults, Status503CarriesOllamasBusyTextAndDeleteClearsThePlan) {
  auto sim = fault_sim();
  post_fault(sim.address, R"({"error_status":503})");
  for (int i = 0; i < 2; ++i) {
    const auto r = http_post(sim.address, "/api/generate", kGenerate);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, R"({"error":"server busy, please try again.  maximum pending requests exceeded"})");
  }
  const auto cleared = http_request(sim.address, "DELETE", "/sim/fault");
  EXPECT_EQ(cleared.status, 200);
  EXPECT_EQ(json::parse(cleared.body).at("error_status").as_int64(), 0);
  EXPECT_EQ(http_post(sim.address, "/api/generate", kGenerate).status, 200);
  EXPECT_EQ(json::parse(http_get(sim.address, "/sim/fault").body).at("error_status").as_int64(), 0);
}

TEST(SimFaults, FaultFlagIsActiveFromTheStart) {
  auto sim = fault_sim({"--fault", R"({"error_status":502,"error_message":"boom","requests":1})"});
  const auto r = http_post(sim.address, "/api/generate", kGenerate);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body, R"({"error":"boom"})");
  EXPECT_EQ(http_post(sim.address, "/api/generate", kGenerate).status, 200);
}

TEST(SimFaults, CloseAfterChunksCutsTheStreamWithoutItsEnd) {
  auto sim = fault_sim();
  post_fault(sim.address, R"({"close_after_chunks":3})");
  HttpConnection c(sim.address);
  ASSERT_EQ(c.start("POST", "/api/generate", kStream).status, 200);
  int chunks = 0;
  while (c.next_chunk()) ++chunks;
  EXPECT_TRUE(c.cut());  // closed inside the body: no terminating chunk
  EXPECT_EQ(chunks, 3);
  EXPECT_FALSE(c.body_complete());
}

TEST(SimFaults, StallStopsTheStreamAfterNChunksWhileTheConnectionStaysOpen) {
  auto sim = fault_sim();
  post_fault(sim.address, R"({"stall_after_chunks":2,"stall_for":"1h","requests":1})");
  HttpConnection c(sim.address);
  ASSERT_EQ(c.start("POST", "/api/generate", kStream).status, 200);
  ASSERT_TRUE(c.next_chunk().has_value());
  ASSERT_TRUE(c.next_chunk().has_value());
  // Nothing more can come for an hour; a short read deadline shows the silence without timing anything.
  c.set_timeout(std::chrono::milliseconds(300));
  EXPECT_THROW((void)c.next_chunk(), std::runtime_error);
  EXPECT_EQ(stat(sim.address, "active"), 1);
  // The stalled client gives up: the sim sees the disconnect and frees the slot.
  c.close();
  ASSERT_TRUE(poll_until([&] { return stat(sim.address, "cancelled") == 1 && stat(sim.address, "active") == 0; }));
  // The plan hit one request only: the next stream runs to its end.
  HttpConnection d(sim.address);
  ASSERT_EQ(d.start("POST", "/api/generate", kStream).status, 200);
  int chunks = 0;
  while (d.next_chunk()) ++chunks;
  EXPECT_EQ(chunks, 11);
}

TEST(SimFaults, RefusedConnectionsAreClosedUnansweredUntilCleared) {
  auto sim = fault_sim();
  // Opened before the fault: the way back in, since new connections are refused from now on.
  HttpConnection admin(sim.address);
  ASSERT_EQ(admin.request("POST", "/sim/fault", R"({"refuse_connections":true})").status, 200);
  EXPECT_EQ(raw_exchange(sim.address, "GET /api/version HTTP/1.1\r\nHost: sim\r\n\r\n"), "");
  const auto stats = json::parse(admin.request("GET", "/sim/stats").body).as_object();
  EXPECT_EQ(stats.at("connections_refused").as_int64(), 1);
  ASSERT_EQ(admin.request("DELETE", "/sim/fault").status, 200);
  EXPECT_EQ(http_get(sim.address, "/api/version").status, 200);
}

TEST(SimFaults, Sigusr1ClearsThePlanWhenNoConnectionIsLeftToSendDelete) {
  auto sim = fault_sim();
  post_fault(sim.address, R"({"refuse_connections":true})");
  EXPECT_EQ(raw_exchange(sim.address, "GET / HTTP/1.1\r\nHost: sim\r\n\r\n"), "");
  sim.process->signal(SIGUSR1);
  ASSERT_TRUE(poll_until([&] {
    return raw_exchange(sim.address, "GET / HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n").find("200 OK") !=
           std::string::npos;
  }));
}

TEST(SimFaults, APlanWithADurationClearsItself) {
  auto sim = fault_sim();
  post_fault(sim.address, R"({"error_status":500,"duration":"200ms"})");
  EXPECT_EQ(http_post(sim.address, "/api/generate", kGenerate).status, 500);
  ASSERT_TRUE(poll_until([&] { return http_post(sim.address, "/api/generate", kGenerate).status == 200; }));
  EXPECT_EQ(json::parse(http_get(sim.address, "/sim/fault").body).at("error_status").as_int64(), 0);
}

TEST(SimFaults, HealthDelaySlowsOnlyTheHealthEndpoints) {
  auto sim = fault_sim();
  // A short delay: each health endpoint is held back (counted) and then answers as usual.
  post_fault(sim.address, R"({"health_delay":"20ms"})");
  const auto root = http_get(sim.address, "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "Ollama is running");
  for (const char* target : {"/api/version", "/api/tags", "/api/ps"}) EXPECT_EQ(http_get(sim.address, target).status, 200);
  EXPECT_EQ(stat(sim.address, "health_delayed"), 4);
  EXPECT_EQ(stat(sim.address, "health_delaying"), 0);

  // A long one: a health answer is seen held back while everything else still answers, undelayed.
  post_fault(sim.address, R"({"health_delay":"1h"})");
  HttpConnection held(sim.address);
  held.send_raw("GET /api/version HTTP/1.1\r\nHost: sim\r\n\r\n");
  ASSERT_TRUE(poll_until([&] { return stat(sim.address, "health_delaying") == 1; }));
  EXPECT_EQ(http_post(sim.address, "/api/generate", kGenerate).status, 200);
  EXPECT_EQ(http_post(sim.address, "/api/show", R"({"model":"llama3:8b"})").status, 200);
  EXPECT_EQ(stat(sim.address, "health_delayed"), 5);
  EXPECT_EQ(stat(sim.address, "health_delaying"), 1);
  // Cleared: a new health request is answered without a delay.
  ASSERT_EQ(http_request(sim.address, "DELETE", "/sim/fault").status, 200);
  EXPECT_EQ(http_get(sim.address, "/").body, "Ollama is running");
  EXPECT_EQ(stat(sim.address, "health_delayed"), 5);
}

TEST(SimFaults, ExitEndsTheProcessWithoutAnAnswer) {
  auto sim = fault_sim();
  EXPECT_EQ(raw_exchange(sim.address, "POST /sim/fault HTTP/1.1\r\nHost: sim\r\nContent-Length: 13\r\n\r\n{\"exit\":true}"),
            "");
  EXPECT_EQ(sim.process->wait(), 1);
}

TEST(SimFaults, BadPlansAreRejectedAndChangeNothing) {
  auto sim = fault_sim();
  for (std::string_view bad : {R"({"nope":1})", R"({"error_status":200})", R"({"stall_for":"soon"})", "[]", "{"}) {
    const auto r = http_post(sim.address, "/sim/fault", bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
  EXPECT_EQ(http_post(sim.address, "/api/generate", kGenerate).status, 200);
}

}  // namespace
