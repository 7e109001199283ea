// The API families of today's Ollama through the gateway, end to end against a real `corral serve`:
// zstd-compressed bodies (as Codex sends them) routed by the model inside and forwarded compressed, byte
// for byte; bodies the gateway cannot read refused in the route's shape (415, 413 for a zstd bomb, 400);
// /v1/responses streamed byte for byte with its tokens counted from response.completed; and
// /v1/messages in Anthropic's shape for every answer the gateway makes itself (401 with x-api-key,
// 403, 400, 405, 415, 429, 503) and for a stream cut mid-body (`event: error`). The backends are
// stand-ins that record the raw bytes they received and answer as Ollama's compatibility routes do:
// the simulator does not decode zstd or speak /v1/messages and /v1/responses (yet).
#include <sys/socket.h>
#include <zstd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <memory>
#include <mutex>
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

// What a stand-in received: the request as it came over the wire, body undecoded.
struct Received {
  std::string method;
  std::string target;
  std::string content_encoding;
  std::string x_api_key;
  std::string body;
};

// The SSE body of a streamed /v1/responses answer (Ollama's events, keys sorted as Go marshals its maps):
// usage only in the final response.completed.
std::string responses_stream() {
  std::string s = "event: response.created\ndata: {\"response\":{\"id\":\"resp_1\",\"output\":[],\"status\":"
                  "\"in_progress\",\"usage\":null},\"sequence_number\":0,\"type\":\"response.created\"}\n\n";
  for (int i = 1; i <= 40; ++i) {
    s += "event: response.output_text.delta\ndata: {\"delta\":\"w" + std::to_string(i) +
         " \",\"item_id\":\"msg_1\",\"output_index\":0,\"sequence_number\":" + std::to_string(i) +
         ",\"type\":\"response.output_text.delta\"}\n\n";
  }
  s += "event: response.completed\ndata: {\"response\":{\"id\":\"resp_1\",\"output\":[],\"status\":\"completed\","
       "\"usage\":{\"input_tokens\":21,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":40,"
       "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":61}},\"sequence_number\":41,"
       "\"type\":\"response.completed\"}\n\n";
  return s;
}

// A streamed /v1/messages answer as Anthropic's API writes it: input_tokens in message_start only,
// output_tokens in message_delta. With `cut`, only the first events, then the connection drops.
std::vector<std::string> messages_events(bool cut) {
  std::vector<std::string> e{
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
      "\"role\":\"assistant\",\"model\":\"beta\",\"content\":[],\"usage\":{\"input_tokens\":17,\"output_tokens\":1}}}\n\n",
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"text\",\"text\":\"\"}}\n\n"};
  if (cut) return e;
  for (int i = 0; i < 60; ++i) {
    e.push_back("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                "{\"type\":\"text_delta\",\"text\":\"tok \"}}\n\n");
  }
  e.push_back("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
  e.push_back("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
              "\"usage\":{\"output_tokens\":60}}\n\n");
  e.push_back("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  return e;
}

// The content of a one-frame zstd body with a declared size (what zstd_frame below makes).
std::string zstd_plain(std::string_view coded) {
  const unsigned long long size = ZSTD_getFrameContentSize(coded.data(), coded.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > (1u << 20)) return {};
  std::string out(size, '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), coded.data(), coded.size());
  return ZSTD_isError(n) ? std::string() : out;
}

// A stand-in Ollama holding one model: its inventory lists `model`, and it answers the compatibility
// routes with fixed bodies (streams one chunk per event). With `cut_messages`, a streamed /v1/messages
// answer stops after its first events and the connection closes.
class ScriptedOllama {
 public:
  explicit ScriptedOllama(std::string model, bool cut_messages = false)
      : model_(std::move(model)), cut_(cut_messages),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    address = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedOllama() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // ends the reads of pooled connections
    }
    // A blocking accept() does not return when another thread closes the acceptor: wake it with a connect.
    boost::system::error_code ec;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    acceptor_.close(ec);
    for (auto& t : connections_) t.join();
  }
  /// The POSTs received so far.
  std::vector<Received> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }
  std::string address;
  [[nodiscard]] std::string url() const { return "http://" + address; }

 private:
  void accept_loop() {
    for (;;) {
      auto s = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*s, ec);
      if (ec) return;
      std::lock_guard lock(mu_);
      if (stopping_) return;
      fds_.push_back(s->native_handle());
      connections_.emplace_back([this, s] { serve(*s); });
    }
  }

  static void write_raw(tcp::socket& sock, std::string_view bytes, boost::system::error_code& ec) {
    asio::write(sock, asio::buffer(bytes.data(), bytes.size()), ec);
  }

  // One chunk per event, as Ollama flushes them; `ended` writes the terminal chunk.
  static bool stream(tcp::socket& sock, const std::vector<std::string>& events, bool ended) {
    boost::system::error_code ec;
    write_raw(sock, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n", ec);
    for (const std::string& e : events) {
      char size[16];
      const auto [end, unused] = std::to_chars(size, size + sizeof size, e.size(), 16);
      write_raw(sock, std::string(size, end) + "\r\n" + e + "\r\n", ec);
      if (ec) return false;
    }
    if (ended) write_raw(sock, "0\r\n\r\n", ec);
    return ended && !ec;
  }

  void serve(tcp::socket& sock) {
    boost::beast::flat_buffer buf;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(sock, buf, req, ec);
      if (ec) return;
      const std::string target(req.target());
      std::string body = "{}";
      std::string type = "application/json; charset=utf-8";
      if (req.method() == bhttp::verb::post) {
        Received r{std::string(req.method_string()), target, std::string(req[bhttp::field::content_encoding]),
                   std::string(req["x-api-key"]), req.body()};
        {
          std::lock_guard lock(mu_);
          posts_.push_back(r);
        }
        // Decoded here as Ollama decodes it; what was recorded above is the body as it arrived.
        const std::string plain = r.content_encoding == "zstd" ? zstd_plain(req.body()) : req.body();
        const bool streams = plain.find("\"stream\":true") != std::string::npos;
        if (target == "/v1/responses" && streams) {
          std::vector<std::string> events;
          const std::string all = responses_stream();
          for (std::size_t at = 0; at < all.size();) {
            const std::size_t end = all.find("\n\n", at) + 2;
            events.push_back(all.substr(at, end - at));
            at = end;
          }
          if (!stream(sock, events, true)) return;
          continue;
        }
        if (target == "/v1/messages" && streams) {
          if (!stream(sock, messages_events(cut_), !cut_)) return;  // a cut: the connection just ends
          continue;
        }
        if (target == "/v1/messages") {
          body = R"({"id":"msg_1","type":"message","role":"assistant","model":")" + model_ +
                 R"(","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":2}})";
        } else {
          body = R"({"id":"c","object":"chat.completion","model":")" + model_ +
                 R"(","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],)"
                 R"("usage":{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}})";
        }
        type = "application/json";
      } else if (target == "/api/tags") {
        body = R"({"models":[{"name":")" + model_ + R"(:latest","model":")" + model_ + R"(:latest","size":1000000}]})";
      } else if (target == "/api/ps") {
        body = R"({"models":[]})";
      } else if (target == "/api/version") {
        body = R"({"version":"0.30.0"})";
      }
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.set(bhttp::field::content_type, type);
      res.body() = body;
      res.prepare_payload();
      bhttp::write(sock, res, ec);
      if (ec) return;
    }
  }

  std::string model_;
  bool cut_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::vector<std::thread> connections_;
  std::vector<int> fds_;
  std::mutex mu_;
  std::vector<Received> posts_;
  bool stopping_ = false;
};

std::string zstd_frame(std::string_view plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

// A zstd bomb: `size` zero bytes in a streamed frame, whose header declares no size (so only the
// decoder's own cap can stop it), a few hundred bytes on the wire.
std::string zstd_bomb(std::size_t size) {
  const std::string zeros(size, '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string out(ZSTD_compressBound(size), '\0');
  ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  while (ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_end) != 0) {
  }
  ZSTD_freeCCtx(cctx);
  out.resize(o.pos);
  return out;
}

std::string two_backend_config(const ScriptedOllama& a, const ScriptedOllama& b, const std::string& extra = {}) {
  return "listen: 127.0.0.1:0\nthreads: 2\nmodels_poll_interval: 100ms\npools:\n  - name: gpu\n    backends:\n"
         "      - url: " + a.url() + "\n      - url: " + b.url() + "\n" + extra;
}

// The value of the first `name{...model="MODEL"...}` sample in a Prometheus text, -1 when absent.
double metric_for_model(const std::string& text, std::string_view name, std::string_view model) {
  const std::string label = "model=\"" + std::string(model) + "\"";
  for (std::size_t at = 0; (at = text.find(name, at)) != std::string::npos; ++at) {
    const std::size_t eol = text.find('\n', at);
    const std::string line = text.substr(at, eol - at);
    if (line.find(label) == std::string::npos || line[name.size()] != '{') continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

const std::string kChatBeta = R"({"model":"beta","messages":[{"role":"user","content":"hi"}]})";

TEST(GatewayApiFamilies, ZstdBodiesRouteByTheModelInsideAndReachTheWorkerAsSent) {
  ScriptedOllama alpha("alpha");
  ScriptedOllama beta("beta");
  Server gw({"serve", "-c", write_temp(two_backend_config(alpha, beta))});
  ASSERT_TRUE(wait_ready(gw));
  const std::string coded = zstd_frame(kChatBeta);
  HttpConnection c(gw.address);
  for (int i = 0; i < 4; ++i) {
    const HttpResponse r = c.request("POST", "/v1/chat/completions", coded, {{"Content-Encoding", "zstd"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"model\":\"beta\""), std::string::npos);
  }
  // Every one went to the worker that holds the model, compressed as the client sent it.
  const auto got = beta.posts();
  ASSERT_EQ(got.size(), 4u);
  for (const Received& r : got) {
    EXPECT_EQ(r.target, "/v1/chat/completions");
    EXPECT_EQ(r.content_encoding, "zstd");
    EXPECT_EQ(r.body, coded);
  }
  EXPECT_TRUE(alpha.posts().empty());
  // The other way round, and uncompressed, for the same gateway.
  const std::string plain_alpha = R"({"model":"alpha","messages":[]})";
  ASSERT_EQ(c.request("POST", "/v1/chat/completions", zstd_frame(plain_alpha), {{"Content-Encoding", "zstd"}}).status,
            200);
  ASSERT_EQ(c.request("POST", "/v1/chat/completions", plain_alpha).status, 200);
  ASSERT_EQ(alpha.posts().size(), 2u);
  EXPECT_EQ(alpha.posts()[1].content_encoding, "");
  EXPECT_EQ(alpha.posts()[1].body, plain_alpha);
}

// Codex's case: a zstd /v1/responses stream, routed by its model, relayed byte for byte, its tokens
// counted from response.completed.
TEST(GatewayApiFamilies, ResponsesStreamByteForByteAndCountTheirUsage) {
  ScriptedOllama alpha("alpha");
  ScriptedOllama beta("beta");
  Server gw({"serve", "-c", write_temp(two_backend_config(alpha, beta))});
  ASSERT_TRUE(wait_ready(gw));
  const std::string request = R"({"model":"beta","input":"hi","stream":true})";
  const HttpResponse r = http_request(gw.address, "POST", "/v1/responses", zstd_frame(request),
                                      {{"Content-Encoding", "zstd"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.body, responses_stream());
  ASSERT_EQ(beta.posts().size(), 1u);
  EXPECT_EQ(beta.posts()[0].body, zstd_frame(request));
  EXPECT_TRUE(alpha.posts().empty());
  double prompt = -1;
  double completion = -1;
  ASSERT_TRUE(poll_until([&] {
    const std::string m = http_request(gw.address, "GET", "/metrics").body;
    prompt = metric_for_model(m, "ollama_prompt_tokens_total", "beta:latest");
    completion = metric_for_model(m, "ollama_completion_tokens_total", "beta:latest");
    return prompt > 0 && completion > 0;  // one scrape may see one counter updated and not the other
  }));
  EXPECT_EQ(prompt, 21);
  EXPECT_EQ(completion, 40);
}

TEST(GatewayApiFamilies, BodiesTheGatewayCannotReadAreRefusedInTheRoutesShape) {
  ScriptedOllama alpha("alpha");
  ScriptedOllama beta("beta");
  Server gw({"serve", "-c", write_temp(two_backend_config(alpha, beta))});
  ASSERT_TRUE(wait_ready(gw));
  HttpConnection c(gw.address);
  // Another coding on a route that decodes zstd: 415 in OpenAI's shape, saying what it takes.
  HttpResponse r = c.request("POST", "/v1/chat/completions", "\x1f\x8b\x08", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.header("accept-encoding"), "zstd");
  EXPECT_NE(parse_json(r.body).at("error").at("message").as_string().find("gzip"), boost::json::string::npos);
  EXPECT_TRUE(r.keep_alive);  // the body was read whole: the connection goes on
  // zstd where Ollama does not decompress: 415 in Ollama's shape.
  r = c.request("POST", "/api/chat", zstd_frame(kChatBeta), {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.header("accept-encoding"), "identity");
  EXPECT_NE(parse_json(r.body).at("error").as_string().find("zstd"), boost::json::string::npos);
  // A zstd bomb (21 MiB of zeros in a few hundred bytes) is a 413, in the family's shape.
  const std::string bomb = zstd_bomb(21u << 20);
  ASSERT_LT(bomb.size(), 4096u);
  r = c.request("POST", "/v1/responses", bomb, {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(parse_json(r.body).at("error").at("type").as_string(), "api_error");
  r = c.request("POST", "/v1/messages", bomb, {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(parse_json(r.body).at("type").as_string(), "error");
  // A truncated frame: 400.
  const std::string whole = zstd_frame(kChatBeta);
  r = c.request("POST", "/v1/embeddings", whole.substr(0, whole.size() - 3), {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse_json(r.body).at("error").at("type").as_string(), "invalid_request_error");
  // Still the same connection, and no backend saw any of it.
  EXPECT_EQ(c.request("POST", "/v1/chat/completions", kChatBeta).status, 200);
  EXPECT_EQ(beta.posts().size(), 1u);
  EXPECT_TRUE(alpha.posts().empty());
}

// SHA-256 of "user-key-1" and "tok-key-1" (what `corral hash-key` prints), as security_gateway_test.
constexpr const char* kUserKeyDigest = "efeffff8fdf6eb1edc3d83f8a34fbe5271247663c351750143991007c37d8972";
constexpr const char* kOnceKeyDigest = "343836aff726347fc7d20def5d4a9a1bdcf7caee63dcb52e2d6cd1be46c6ad48";

// The Anthropic error of a response: {"type":"error","error":{"type":TYPE,"message":...}}, TYPE returned.
std::string anthropic_type(const HttpResponse& r) {
  const auto v = parse_json(r.body).as_object();
  EXPECT_EQ(v.at("type").as_string(), "error") << r.body;
  EXPECT_TRUE(v.at("error").at("message").is_string()) << r.body;
  return std::string(v.at("error").at("type").as_string());
}

TEST(GatewayApiFamilies, EveryAnswerTheGatewayMakesOnMessagesIsAnthropicShaped) {
  ScriptedOllama alpha("alpha");
  ScriptedOllama beta("beta");
  const std::string keys = std::string("auth:\n  keys:\n") +
                           "    - name: team\n      sha256: " + kUserKeyDigest + "\n      allowed_models: [\"beta\"]\n"
                           "    - name: once\n      sha256: " + kOnceKeyDigest + "\n"
                           "      limits: {requests: 1, interval: 1h}\n";
  Server gw({"serve", "-c", write_temp(two_backend_config(alpha, beta, keys))});
  const std::string msg = R"({"model":"beta","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";
  const Headers team{{"x-api-key", "user-key-1"}, {"anthropic-version", "2023-06-01"}};

  HttpResponse r = http_request(gw.address, "POST", "/v1/messages", msg);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(anthropic_type(r), "authentication_error");
  EXPECT_NE(r.body.find("x-api-key"), std::string::npos);
  r = http_request(gw.address, "POST", "/v1/messages", msg, {{"x-api-key", "wrong"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(anthropic_type(r), "authentication_error");
  r = http_request(gw.address, "POST", "/v1/messages", msg,
                   {{"x-api-key", "user-key-1"}, {"Authorization", "Bearer tok-key-1"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("different API keys"), std::string::npos);
  ASSERT_TRUE(wait_ready(gw));

  // With the key in x-api-key the call goes through, and the backend gets it as sent.
  r = http_request(gw.address, "POST", "/v1/messages", msg, team);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(beta.posts().size(), 1u);
  EXPECT_EQ(beta.posts()[0].x_api_key, "user-key-1");

  r = http_request(gw.address, "POST", "/v1/messages", R"({"model":"alpha","max_tokens":8,"messages":[]})", team);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(anthropic_type(r), "permission_error");
  r = http_request(gw.address, "POST", "/v1/messages", R"({"model":"beta",)", team);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(anthropic_type(r), "invalid_request_error");
  r = http_request(gw.address, "POST", "/v1/messages", R"({"max_tokens":8})", team);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(anthropic_type(r), "invalid_request_error");
  r = http_request(gw.address, "GET", "/v1/messages", "", team);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST");
  EXPECT_EQ(anthropic_type(r), "api_error");
  r = http_request(gw.address, "POST", "/v1/messages", msg,
                   {{"x-api-key", "user-key-1"}, {"Content-Encoding", "br"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(anthropic_type(r), "api_error");

  // A key with one request an hour: the second is a rate_limit_error with Retry-After.
  const Headers once{{"x-api-key", "tok-key-1"}};
  ASSERT_EQ(http_request(gw.address, "POST", "/v1/messages", msg, once).status, 200);
  r = http_request(gw.address, "POST", "/v1/messages", msg, once);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(anthropic_type(r), "rate_limit_error");
  EXPECT_FALSE(r.header("retry-after").empty());
  EXPECT_EQ(beta.posts().size(), 2u);  // none of the refused ones reached a backend
  EXPECT_TRUE(alpha.posts().empty());

  // The other families keep their own shapes and the Bearer key.
  r = http_request(gw.address, "POST", "/v1/chat/completions", kChatBeta);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(parse_json(r.body).at("error").at("message").as_string(), "missing API key: send Authorization: Bearer <key>");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"corral\"");
}

TEST(GatewayApiFamilies, NoHealthyBackendIsAnOverloadedErrorOnMessages) {
  // A backend nobody listens on, never believed healthy before a probe says so.
  std::string dead;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
  }
  Server gw({"serve", "-c", write_temp("listen: 127.0.0.1:0\nthreads: 1\npools:\n  - name: gpu\n    backends:\n"
                                       "      - url: " + dead + "\nhealth: {start_healthy: false, interval: 100ms}\n")});
  HttpResponse r;
  ASSERT_TRUE(poll_until([&] {
    r = http_request(gw.address, "POST", "/v1/messages", R"({"model":"beta","max_tokens":8,"messages":[]})");
    return r.status == 503;
  })) << r.status << " " << r.body;
  EXPECT_EQ(anthropic_type(r), "overloaded_error");
  EXPECT_FALSE(r.header("retry-after").empty());
}

// A backend that dies mid-stream: the client gets what was relayed, then Anthropic's `event: error`, and
// no terminal chunk. A whole stream's tokens are counted from message_start and message_delta.
TEST(GatewayApiFamilies, AStreamCutOnMessagesEndsWithAnAnthropicErrorEvent) {
  ScriptedOllama cutting("beta", true);
  ScriptedOllama whole("gamma");
  Server gw({"serve", "-c", write_temp(two_backend_config(cutting, whole))});
  ASSERT_TRUE(wait_ready(gw));
  const std::string stream = R"({"model":"beta","max_tokens":8,"stream":true,"messages":[]})";
  HttpConnection c(gw.address);
  ASSERT_EQ(c.start("POST", "/v1/messages", stream).status, 200);
  std::vector<std::string> events;
  while (auto e = c.next_event()) events.push_back(*e);
  EXPECT_TRUE(c.cut());
  EXPECT_FALSE(c.body_complete());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].starts_with("event: message_start\n"));
  EXPECT_TRUE(events[1].starts_with("event: content_block_start\n"));
  ASSERT_TRUE(events[2].starts_with("event: error\ndata: ")) << events[2];
  const auto error = parse_json(events[2].substr(std::string_view("event: error\ndata: ").size()));
  EXPECT_EQ(error.at("type").as_string(), "error");
  EXPECT_EQ(error.at("error").at("type").as_string(), "api_error");
  EXPECT_EQ(error.at("error").at("message").as_string(), "upstream connection lost");

  const std::string gamma = R"({"model":"gamma","max_tokens":8,"stream":true,"messages":[]})";
  const HttpResponse r = http_request(gw.address, "POST", "/v1/messages", gamma);
  ASSERT_EQ(r.status, 200);
  std::string expected;
  for (const std::string& e : messages_events(false)) expected += e;
  EXPECT_EQ(r.body, expected);
  double prompt = -1;
  double completion = -1;
  ASSERT_TRUE(poll_until([&] {
    const std::string m = http_request(gw.address, "GET", "/metrics").body;
    prompt = metric_for_model(m, "ollama_prompt_tokens_total", "gamma:latest");
    completion = metric_for_model(m, "ollama_completion_tokens_total", "gamma:latest");
    return prompt > 0 && completion > 0;  // one scrape may see one counter updated and not the other
  }));
  EXPECT_EQ(prompt, 17);      // from message_start, the stream's first event
  EXPECT_EQ(completion, 60);  // from message_delta, its last counted one
}

}  // namespace
}  // namespace corral::testing
