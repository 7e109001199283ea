// TLS to workers (`url: https://...`): the simulator has no TLS listener, so a second gateway terminating
// TLS in front of it stands in for an HTTPS worker (certificate made at test time). The gateway under test
// reaches it for health checks, model polling and proxied requests, verifies the certificate against
// `tls_ca`, refuses one the system store does not trust, and takes any with `tls_verify: false`.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/test_cert.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

// sim <- TLS-terminating gateway (the "worker"): returns the worker's HOST:PORT through `worker`.
struct TlsWorker {
  explicit TlsWorker(const Cert& c)
      : sim(start_sim({"llama3:8b=1GB"})),
        front({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 1\ntls: {cert_file: " + c.cert + ", key_file: " +
                                         c.key + "}\npools:\n  - name: p\n    backends:\n      - url: " + sim.url() +
                                         "\n")}) {}
  Server sim;
  Server front;
  [[nodiscard]] std::string https_url() const { return "https://" + front.address; }
};

// Health checks every 100 ms, one failure marks the worker down, unless `health` says otherwise.
std::string gateway_config(const TlsWorker& w, const std::string& backend_keys,
                           const std::string& health = "{interval: 100ms, fall: 1, rise: 1}") {
  return write_temp("listen: 127.0.0.1:0\nthreads: 2\nhealth: " + health + "\n"
                    "pools:\n  - name: p\n    backends:\n      - url: " + w.https_url() + "\n" + backend_keys);
}

TEST(TlsUpstream, VerifiedTlsToTheWorkerCarriesChecksPollsAndRequests) {
  const Cert c = make_cert("corral-worker");
  TlsWorker w(c);
  Server gw({"serve", "-c", gateway_config(w, "        tls_ca: " + c.cert + "\n")});
  ASSERT_TRUE(wait_ready(gw));  // health checks and the /api/tags poll went through TLS
  for (int i = 0; i < 3; ++i) {  // on one pooled TLS connection or several: each answer is whole
    const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 3));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"done\":true"), std::string::npos) << r.body;
  }
  HttpConnection streaming(gw.address);
  ASSERT_EQ(streaming.start("POST", "/api/generate", generate_body("llama3:8b", 5, true)).status, 200);
  int lines = 0;
  while (auto line = streaming.next_line()) ++lines;
  EXPECT_EQ(lines, 6);  // five tokens and the final object
  EXPECT_EQ(stat(w.sim, "requests"), 4);
  const auto tags = http_request(gw.address, "GET", "/api/tags");
  EXPECT_NE(tags.body.find("llama3:8b"), std::string::npos) << tags.body;
}

TEST(TlsUpstream, AnUntrustedCertificateIsRefusedUnlessVerificationIsOff) {
  const Cert c = make_cert("corral-untrusted");
  TlsWorker w(c);
  // The system CA store does not know the test CA. The request meets the refused handshake itself: the
  // first probe (at start) fails too, and with fall: 1 the worker could be down before the request
  // arrives (a 503 for "no healthy backend"), so this gateway needs two failed probes, the next in 1h.
  {
    Server strict({"serve", "-c", gateway_config(w, "", "{interval: 1h, fall: 2}")});
    const auto r = http_request(strict.address, "POST", "/api/generate", generate_body("llama3:8b", 1));
    EXPECT_EQ(r.status, 502) << r.body;  // the handshake fails like a refused connection
  }
  {
    Server strict({"serve", "-c", gateway_config(w, "")});
    ASSERT_TRUE(poll_until([&] {  // and so do the health checks
      const auto s = parse_json(http_request(strict.address, "GET", "/corral/api/status").body);
      return s.at("workers").as_array().at(0).at("health").as_string() == "unhealthy";
    }));
    EXPECT_EQ(stat(w.sim, "requests"), 0);  // nothing went through the refused handshake
  }
  Server lax({"serve", "-c", gateway_config(w, "        tls_verify: false\n")});
  ASSERT_TRUE(wait_ready(lax));
  EXPECT_EQ(http_request(lax.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
  EXPECT_EQ(stat(w.sim, "requests"), 1);
}

TEST(TlsUpstream, TlsKeysNeedAnHttpsUrlAndAReadableCa) {
  const auto check = [](const std::string& backend) {
    return run_corral({"check-config", "-c", write_temp("pools:\n  - name: p\n    backends:\n" + backend)}).exit_code;
  };
  EXPECT_EQ(check("      - url: https://127.0.0.1:1\n        tls_verify: false\n"), 0);
  EXPECT_EQ(check("      - url: http://127.0.0.1:1\n        tls_verify: false\n"), 1);
  EXPECT_EQ(check("      - url: https://127.0.0.1:1\n        tls_ca: /nonexistent/ca.pem\n"), 1);
}

}  // namespace
}  // namespace corral::testing
