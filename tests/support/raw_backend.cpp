#include "support/raw_backend.hpp"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace corral::testing {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string raw_whole_response(int status, const std::string& reason, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

struct RawBackend::State {
  Handler handler;
  std::string models_json;
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::thread accept_thread;
  std::mutex mu;
  std::vector<std::thread> connections;
  std::vector<int> fds;  // open connections, shut down by the destructor so their threads end
  bool stopping = false;
  std::atomic<int> handled{0};

  RawReply answer(const std::string& method, const std::string& target) {
    RawReply reply = handler(method, target);
    if (!reply.bytes.empty()) {
      handled.fetch_add(1);
      return reply;
    }
    if (target == "/") return {raw_whole_response(200, "OK", "Ollama is running"), false};
    if (target == "/api/tags" || target == "/api/ps") return {raw_whole_response(200, "OK", models_json), false};
    if (target == "/api/version") return {raw_whole_response(200, "OK", R"({"version":"0.0.0"})"), false};
    return {raw_whole_response(404, "Not Found", R"({"error":"not found"})"), false};
  }

  void serve(tcp::socket sock) {
    boost::beast::flat_buffer buf;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(sock, buf, req, ec);
      if (ec) break;
      const RawReply reply = answer(std::string(req.method_string()), std::string(req.target()));
      asio::write(sock, asio::buffer(reply.bytes), ec);
      if (ec || reply.close) break;
    }
    boost::system::error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    std::lock_guard lock(mu);
    std::erase(fds, sock.native_handle());
  }

  void accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(io);
      acceptor.accept(s, ec);
      if (ec) return;
      std::lock_guard lock(mu);
      if (stopping) return;
      fds.push_back(s.native_handle());
      connections.emplace_back([this, sock = std::move(s)]() mutable { serve(std::move(sock)); });
    }
  }
};

RawBackend::RawBackend(Handler handler, std::string models_json) : state_(std::make_shared<State>()) {
  state_->handler = std::move(handler);
  state_->models_json = std::move(models_json);
  address = "127.0.0.1:" + std::to_string(state_->acceptor.local_endpoint().port());
  state_->accept_thread = std::thread([s = state_.get()] { s->accept_loop(); });
}

RawBackend::~RawBackend() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
    for (const int fd : s.fds) ::shutdown(fd, SHUT_RDWR);  // their blocking reads return
  }
  // A blocking accept() does not return when another thread closes the acceptor: wake it with a connect.
  boost::system::error_code ec;
  tcp::socket wake(s.io);
  wake.connect(s.acceptor.local_endpoint(), ec);
  s.accept_thread.join();
  s.acceptor.close(ec);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(s.mu);
    threads.swap(s.connections);
  }
  for (auto& t : threads) t.join();
}

int RawBackend::handled() const { return state_->handled.load(); }

std::string chunked_reply(const std::string& content_type, const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + content_type + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
}

}  // namespace corral::testing
