// Ambiguous or malformed requests are refused with the right status and `Connection: close`, the
// connection is closed, and the worker never sees them (its request count stays 0). A legal control
// request in the same run proves the checks do not refuse everything.
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/sim.hpp"

namespace corral::testing {
namespace {

std::string with_body(const std::string& json) {
  return "POST /api/chat HTTP/1.1\r\nHost: g\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json;
}

struct Case {
  const char* name;
  std::string bytes;
  int status;
  bool keeps_connection = false;  ///< a refused body (JSON), not refused framing
};

TEST(GatewayMalformed, RefusedClosedAndNeverForwarded) {
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim});
  const std::string body = generate_body("llama3:8b", 1);
  const std::string cl = std::to_string(body.size());
  const std::vector<Case> cases = {
      {"CL+TE", "POST /api/generate HTTP/1.1\r\nHost: g\r\nContent-Length: " + cl + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400},
      {"duplicate CL", "POST /api/generate HTTP/1.1\r\nHost: g\r\nContent-Length: " + cl + "\r\nContent-Length: " + cl + "\r\n\r\n" + body, 400},
      {"TE gzip", "POST /api/generate HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400},
      {"TE on 1.0", "POST /api/generate HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"obs-fold", "GET /api/tags HTTP/1.1\r\nHost: g\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"space before colon", "GET /api/tags HTTP/1.1\r\nHost : g\r\n\r\n", 400},
      {"bare CR", "GET /api/tags HTTP/1.1\r\nHost: g\rX: 1\r\n\r\n", 400},
      {"two Hosts", "GET /api/tags HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"no Host", "GET /api/tags HTTP/1.1\r\n\r\n", 400},
      {"bad target", "GET api/tags HTTP/1.1\r\nHost: g\r\n\r\n", 400},
      {"bad chunk size", "POST /api/generate HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n", 400},
      {"too many headers", [] {
         std::string s = "GET /api/tags HTTP/1.1\r\nHost: g\r\n";
         for (int i = 0; i < 150; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
         return s + "\r\n";
       }(), 431},
      {"huge header", "GET /api/tags HTTP/1.1\r\nHost: g\r\nX: " + std::string(40000, 'a') + "\r\n\r\n", 431},
      {"uri too long", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: g\r\n\r\n", 414},
      {"body too large", "POST /api/generate HTTP/1.1\r\nHost: g\r\nContent-Length: 99999999999\r\n\r\n", 413},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: g\r\n\r\n", 505},
      {"bad JSON", with_body("{\"mo"), 400, true},
      {"duplicate model", with_body(R"({"model":"llama3:8b","model":"other:1b"})"), 400, true},
      {"missing model", with_body("{}"), 400, true},
  };
  for (const Case& c : cases) {
    HttpConnection client(gw.address);
    client.send_raw(c.bytes);
    // A follow-up on the same socket must never run after a framing refusal (the poison check).
    try {
      client.send_raw("GET /api/version HTTP/1.1\r\nHost: g\r\n\r\n");
    } catch (const std::exception&) {
    }
    if (c.keeps_connection) {
      const auto r = client.read_response();
      EXPECT_EQ(r.status, c.status) << c.name;
      EXPECT_NE(r.body.find("\"error\""), std::string::npos) << c.name;
      EXPECT_EQ(client.read_response().status, 200) << c.name;
      continue;
    }
    const std::string all = client.read_until_close();
    ASSERT_GE(all.size(), 12u) << c.name;
    EXPECT_EQ(all.substr(9, 3), std::to_string(c.status)) << c.name << ": " << all.substr(0, 200);
    EXPECT_NE(all.find("Connection: close"), std::string::npos) << c.name;
    EXPECT_EQ(all.find("HTTP/1.1", 12), std::string::npos) << c.name << ": a second response";
  }
  EXPECT_EQ(stat(sim, "requests"), 0);

  // The legal control goes through.
  const auto ok = http_request(gw.address, "POST", "/api/generate", body);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(stat(sim, "requests"), 1);
}

TEST(GatewayMalformed, ExpectContinueAndChunkedBodies) {
  auto sim = start_sim({"llama3:8b=1GB"});
  auto gw = start_quick({&sim});
  const std::string body = generate_body("llama3:8b", 1);
  HttpConnection c(gw.address);
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  c.send_raw("POST /api/generate HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
  c.send_raw(std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  auto interim = c.read_response();
  if (interim.status == 100) interim = c.read_response();
  EXPECT_EQ(interim.status, 200) << interim.body;
  EXPECT_EQ(stat(sim, "requests"), 1);
}

}  // namespace
}  // namespace corral::testing
