// Test harness for the gateway scenarios (tests/integration/gateway_*_test.cpp): start real `corral sim`
// and `corral serve` processes on ephemeral ports (the first stdout line is the bound address), talk
// HTTP/1.1 to them with a small blocking client (whole responses, streamed lines as they arrive, raw
// bytes), read the simulator's /sim/stats counters. Deadlines only fail hung tests; nothing asserts on
// elapsed time. Header-only; a local stand-in until tests/support/ offers the same.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace corral::gwtest {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

inline constexpr auto kDeadline = 60s;  // fails a hung test; never a timing assertion

/// A child process of CORRAL_BINARY with its stdout on a pipe. Killed (SIGKILL) on destruction.
class Process {
 public:
  explicit Process(std::vector<std::string> args) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    if (std::getenv("CORRAL_TEST_VERBOSE") == nullptr) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    args.insert(args.begin(), CORRAL_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, CORRAL_BINARY, &fa, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn");
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    out_ = out[0];
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int st;
      waitpid(pid_, &st, 0);
    }
    if (out_ >= 0) close(out_);
  }

  /// The next stdout line (without '\n'); throws after kDeadline or at EOF.
  std::string line() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no stdout line");
      fd_set set;
      FD_ZERO(&set);
      FD_SET(out_, &set);
      timeval tv{0, 100000};
      if (select(out_ + 1, &set, nullptr, nullptr, &tv) <= 0) continue;
      char b[512];
      const auto n = read(out_, b, sizeof b);
      if (n <= 0) throw std::runtime_error("process stdout closed");
      buf_.append(b, static_cast<std::size_t>(n));
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }
  /// Waits for the exit; returns the exit code (128 + signal when killed), or -1 after kDeadline.
  int wait() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string buf_;
};

/// A process that prints its address first (sim, serve).
struct Server {
  explicit Server(std::vector<std::string> args) : process(std::make_unique<Process>(std::move(args))) {
    address = process->line();
  }
  std::unique_ptr<Process> process;
  std::string address;  ///< HOST:PORT
  [[nodiscard]] std::string url() const { return "http://" + address; }
};

/// `corral sim` with `models` (NAME=SIZE) and extra flags.
inline Server start_sim(std::vector<std::string> models, std::vector<std::string> extra = {}) {
  // Fast loads and a steady token rate unless the test sets its own.
  std::vector<std::string> args{"sim", "--listen", "127.0.0.1:0"};
  for (const auto& [flag, value] : {std::pair{"--load-gbps", "1000"}, std::pair{"--tokens-per-second", "200"}}) {
    if (std::find(extra.begin(), extra.end(), flag) != extra.end()) continue;
    args.push_back(flag);
    args.push_back(value);
  }
  for (auto& m : models) {
    args.push_back("--model");
    args.push_back(m);
  }
  for (auto& e : extra) args.push_back(e);
  return Server(std::move(args));
}

/// `corral serve` in quick mode in front of `backends`.
inline Server start_quick(const std::vector<const Server*>& backends, int threads = 2) {
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--threads", std::to_string(threads)};
  for (const auto* b : backends) {
    args.push_back("--backend");
    args.push_back(b->url());
  }
  return Server(std::move(args));
}

/// Writes `text` to a fresh temporary file and returns its path.
inline std::string write_temp(const std::string& text, const std::string& suffix = ".yaml") {
  std::string path = "/tmp/corral-gwtest-XXXXXX" + suffix;
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps");
  close(fd);
  std::ofstream(path) << text;
  return path;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  bool keep_alive = false;
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// One client connection (blocking, with a receive deadline).
class Client {
 public:
  explicit Client(const std::string& address) : socket_(io_) {
    const auto colon = address.rfind(':');
    socket_.connect(tcp::endpoint(asio::ip::make_address(address.substr(0, colon)),
                                  static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))));
    timeval tv{static_cast<long>(kDeadline.count()), 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    host_ = address;
  }

  Response send(const std::string& method, const std::string& target, const std::string& body = {},
                const std::map<std::string, std::string>& headers = {}) {
    write_request(method, target, body, headers);
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(64 << 20);
    if (method == "HEAD") p.skip(true);
    bhttp::read(socket_, buffer_, p);
    return to_response(p.get());
  }

  /// Sends a request and reads the response head; then next_line() reads the streamed body line by line.
  int start_stream(const std::string& method, const std::string& target, const std::string& body,
                   const std::map<std::string, std::string>& headers = {}) {
    write_request(method, target, body, headers);
    stream_.emplace();
    stream_->body_limit(boost::none);
    bhttp::read_header(socket_, buffer_, *stream_);
    return static_cast<int>(stream_->get().result_int());
  }
  /// The next line of the streamed body (with its '\n'), or nullopt at the end of the body or on a cut.
  std::optional<std::string> next_line() {
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string l = pending_.substr(0, nl + 1);
        pending_.erase(0, nl + 1);
        return l;
      }
      if (stream_->is_done()) {
        if (pending_.empty()) return std::nullopt;
        std::string rest = std::move(pending_);
        pending_.clear();
        return rest;
      }
      char buf[4096];
      stream_->get().body().data = buf;
      stream_->get().body().size = sizeof buf;
      boost::system::error_code ec;
      bhttp::read_some(socket_, buffer_, *stream_, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      pending_.append(buf, sizeof buf - stream_->get().body().size);
      if (ec) {
        cut_ = true;
        if (pending_.empty()) return std::nullopt;
        std::string rest = std::move(pending_);
        pending_.clear();
        return rest;
      }
    }
  }
  /// True when the streamed body ended without its terminal chunk (connection cut).
  [[nodiscard]] bool stream_cut() const { return cut_; }
  [[nodiscard]] bool stream_complete() const { return stream_ && stream_->is_done(); }

  /// Writes raw bytes.
  void write_raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  /// Reads until the peer closes (or the deadline); returns everything read.
  std::string read_all() {
    std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    char b[4096];
    for (;;) {
      boost::system::error_code ec;
      const auto n = socket_.read_some(asio::buffer(b), ec);
      out.append(b, n);
      if (ec) break;
    }
    return out;
  }
  /// Reads one whole response (after raw writes).
  Response read_response() {
    bhttp::response_parser<bhttp::string_body> p;
    bhttp::read(socket_, buffer_, p);
    return to_response(p.get());
  }
  /// True when the server closed the connection (a read returns EOF).
  bool closed_by_peer() {
    char b;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&b, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  void close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  void write_request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers) {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + "\r\n";
    for (const auto& [k, v] : headers) r += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST") r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    r += "\r\n" + body;
    write_raw(r);
  }
  template <class Msg>
  static Response to_response(Msg& m) {
    Response r;
    r.status = static_cast<int>(m.result_int());
    for (const auto& f : m) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = m.body();
    r.keep_alive = m.keep_alive();
    return r;
  }

  asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::string host_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> stream_;
  std::string pending_;
  bool cut_ = false;
};

/// One request on a fresh connection.
inline Response request(const std::string& address, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::map<std::string, std::string>& headers = {}) {
  Client c(address);
  return c.send(method, target, body, headers);
}

inline boost::json::value parse_json(const std::string& text) { return boost::json::parse(text); }

/// /sim/stats of a simulator as JSON.
inline boost::json::object sim_stats(const Server& sim) {
  return parse_json(request(sim.address, "GET", "/sim/stats").body).as_object();
}
inline std::int64_t stat(const Server& sim, const char* key) { return sim_stats(sim).at(key).as_int64(); }

/// Polls `done` until it holds; false after kDeadline.
inline bool wait_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

/// Waits until the gateway's /readyz says ready (health checked, model inventory read).
inline bool wait_ready(const Server& gw) {
  return wait_until([&] { return request(gw.address, "GET", "/readyz").status == 200; });
}

/// A non-streamed /api/generate body.
inline std::string generate_body(const std::string& model, int tokens = 3, bool stream = false) {
  return R"({"model":")" + model + R"(","prompt":"hello","stream":)" + (stream ? "true" : "false") +
         R"(,"options":{"num_predict":)" + std::to_string(tokens) + "}}";
}

}  // namespace corral::gwtest
