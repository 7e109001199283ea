// The route table as the two listeners serve it: the admin listener answers an Ollama path asked with
// the wrong method exactly as the public listener does (405 with the route's Allow and body), keeps `/`,
// /metrics and unknown paths for itself, and the public listener leaves /metrics to it.
#include <string>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

// The admin listener on another loopback address: the loader refuses two identical listen strings.
std::string two_listener_config(const Server& backend) {
  return "listen: 127.0.0.1:0\nthreads: 1\nadmin:\n  listen: 127.0.0.2:0\npools:\n  - name: p\n    backends:\n"
         "      - url: " + backend.url() + "\n";
}

TEST(GatewayRouteTable, WrongMethodOnAnOllamaPathIsTheSame405OnBothListeners) {
  auto sim = start_sim({"llama3:8b=1GB"});
  Server gw({"serve", "-c", write_temp(two_listener_config(sim))});
  const std::string admin = gw.admin_address();
  for (const char* path : {"/api/generate", "/v1/chat/completions", "/api/pull"}) {
    SCOPED_TRACE(path);
    const HttpResponse pub = http_request(gw.address, "GET", path);
    const HttpResponse adm = http_request(admin, "GET", path);
    EXPECT_EQ(pub.status, 405);
    EXPECT_EQ(adm.status, 405);
    EXPECT_EQ(adm.header("Allow"), "POST");
    EXPECT_EQ(adm.header("Allow"), pub.header("Allow"));
    EXPECT_EQ(adm.header("Content-Type"), pub.header("Content-Type"));
    EXPECT_EQ(adm.body, pub.body);
  }
}

TEST(GatewayRouteTable, EachListenerKeepsItsOwnPaths) {
  auto sim = start_sim({"llama3:8b=1GB"});
  Server gw({"serve", "-c", write_temp(two_listener_config(sim))});
  const std::string admin = gw.admin_address();
  EXPECT_EQ(http_request(admin, "GET", "/nothing").status, 404);
  const HttpResponse write_view = http_request(admin, "POST", "/corral/api/status");
  EXPECT_EQ(write_view.status, 405);
  EXPECT_EQ(write_view.header("Allow"), "GET, HEAD");
  EXPECT_EQ(http_request(admin, "GET", "/corral/api/reload").header("Allow"), "POST");
  EXPECT_EQ(http_request(admin, "GET", "/").header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(http_request(admin, "GET", "/metrics").status, 200);
  EXPECT_EQ(http_request(gw.address, "GET", "/metrics").status, 404);
  EXPECT_EQ(http_request(gw.address, "PUT", "/healthz").status, 200);  // probes answer any method
}

}  // namespace
}  // namespace corral::testing
