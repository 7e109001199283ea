// TLS termination on the public listener with a certificate made at test time by the openssl CLI, and a
// real TLS client (Boost.Asio ssl over OpenSSL) that verifies it: requests reach the simulator through
// TLS, old protocol versions and plain HTTP are refused without harm, and SIGHUP picks up a rotated
// certificate for new connections.
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/test_cert.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct TlsResult {
  bool handshake_ok = false;
  std::string peer_cn;
  int status = 0;
  std::string body;
};

// One HTTPS request trusting only `ca` (the self-signed cert). `max_version` 0 = library default.
TlsResult https(const std::string& address, const std::string& ca, const std::string& method,
                const std::string& target, const std::string& body = {}, int max_version = 0) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca);
  ctx.set_verify_mode(ssl::verify_peer);
  if (max_version != 0) {
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
    SSL_CTX_set_security_level(ctx.native_handle(), 0);  // let the client offer what the server must refuse
  }
  ssl::stream<tcp::socket> s(io, ctx);
  const auto colon = address.rfind(':');
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address(address.substr(0, colon)),
                                       static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))));
  timeval tv{static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(kDeadline).count()), 0};
  setsockopt(s.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  TlsResult r;
  boost::system::error_code ec;
  s.handshake(ssl::stream_base::client, ec);
  if (ec) return r;
  r.handshake_ok = true;
  if (X509* peer = SSL_get1_peer_certificate(s.native_handle())) {
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    r.peer_cn = cn;
    X509_free(peer);
  }
  bhttp::request<bhttp::string_body> req{method == "POST" ? bhttp::verb::post : bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, address);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  bhttp::write(s, req);
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buf, res);
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  return r;
}

// Until the TLS listener of `gw` answers /readyz with 200 over a handshake that trusts `cert`.
bool wait_https_ready(const Server& gw, const std::string& cert) {
  return poll_until([&] {
    try {
      return https(gw.address, cert, "GET", "/readyz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  });
}

TEST(TlsTermination, ServesVerifiedTlsRefusesOldProtocolsAndRotatesOnSighup) {
  auto sim = start_sim({"llama3:8b=1GB"});
  const Cert one = make_cert("corral-one");
  const Cert two = make_cert("corral-two");
  const std::string path =
      write_temp("listen: 127.0.0.1:0\nthreads: 2\ntls:\n  cert_file: " + one.cert + "\n  key_file: " + one.key +
                 "\npools:\n  - name: p\n    backends:\n      - url: " + sim.url() + "\n");
  Server gw({"serve", "-c", path});

  ASSERT_TRUE(wait_https_ready(gw, one.cert));
  const auto r = https(gw.address, one.cert, "POST", "/api/generate", generate_body("llama3:8b", 2));
  EXPECT_EQ(r.peer_cn, "corral-one");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse_json(r.body).at("done").as_bool(), true);
  EXPECT_EQ(stat(sim, "requests"), 1);

  EXPECT_TRUE(https(gw.address, one.cert, "GET", "/api/version", {}, TLS1_2_VERSION).handshake_ok);
  EXPECT_FALSE(https(gw.address, one.cert, "GET", "/api/version", {}, TLS1_1_VERSION).handshake_ok);
  // Plain HTTP on the TLS port: the handshake fails, the connection closes, nothing is forwarded.
  HttpConnection plain(gw.address);
  plain.send_raw("GET /api/version HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(plain.read_until_close().find("HTTP/1.1 200"), std::string::npos);

  // Rotation: the same paths get the second certificate; SIGHUP reloads; new connections see it.
  std::filesystem::copy_file(two.cert, one.cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(two.key, one.key, std::filesystem::copy_options::overwrite_existing);
  gw.process->signal(SIGHUP);
  ASSERT_TRUE(poll_until([&] { return https(gw.address, two.cert, "GET", "/api/version").peer_cn == "corral-two"; }));
  EXPECT_EQ(https(gw.address, two.cert, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
  EXPECT_EQ(stat(sim, "requests"), 2);
}

// A minimal Ollama stand-in that records every request head it gets and answers `{"models":[]}`.
class RecordingBackend {
 public:
  RecordingBackend() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~RecordingBackend() {
    stop_ = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // unblocks accept()
    thread_.join();
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  [[nodiscard]] std::vector<std::string> heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      std::string buf;
      char b[4096];
      // One request per connection (Connection: close), so a serial loop never blocks a second client.
      while (buf.find("\r\n\r\n") == std::string::npos) {
        const auto n = s.read_some(asio::buffer(b), ec);
        if (ec) break;
        buf.append(b, n);
      }
      const auto end = buf.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      {
        std::lock_guard lock(mu_);
        heads_.push_back(buf.substr(0, end));
      }
      const std::string body = R"({"models":[]})";
      asio::write(s, asio::buffer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body), ec);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> heads_;
};

TEST(TlsTermination, UpstreamLearnsTheClientUsedTls) {
  RecordingBackend backend;
  const Cert c = make_cert("corral-proto");
  const std::string path = write_temp("listen: 127.0.0.1:0\nthreads: 1\ntls:\n  cert_file: " + c.cert +
                                      "\n  key_file: " + c.key + "\npools:\n  - name: p\n    backends:\n      - url: " +
                                      backend.url() + "\n");
  Server gw({"serve", "-c", path});
  ASSERT_TRUE(wait_https_ready(gw, c.cert));
  ASSERT_EQ(https(gw.address, c.cert, "GET", "/api/version").status, 200);
  std::string forwarded;
  for (const auto& h : backend.heads()) {
    if (h.starts_with("GET /api/version ")) forwarded = h;
  }
  EXPECT_NE(forwarded.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << forwarded;
  EXPECT_NE(forwarded.find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << forwarded;
}

}  // namespace
}  // namespace corral::testing
