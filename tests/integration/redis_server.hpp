// A real redis-server child process on an ephemeral loopback port, for the tests that share state
// through Redis (redis_shared_state_test, redis_gateway_test).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "shared_state/redis_connection.hpp"
#include "support/poll.hpp"

namespace corral::shared_state {

using namespace std::chrono_literals;

/// scripts/install-deps.sh installs redis-server; a machine without it skips those tests rather than fails.
inline bool redis_server_installed() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

inline std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A redis-server child process. The port is chosen by binding port 0 and closing; a collision with
// another process shows up as the child exiting, and start() then tries another port.
class RedisServer {
 public:
  RedisServer() {
    dir_ = std::filesystem::temp_directory_path() / ("corral-redis-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~RedisServer() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// Starts on `port` (0: a free one) and waits until it answers PING.
  bool start(std::uint16_t port = 0) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      port_ = port != 0 ? port : pick_free_port();
      spawn();
      if (wait_ready()) return true;
      kill();
      if (port != 0) std::this_thread::sleep_for(100ms);  // same port: the old socket may linger briefly
    }
    return false;
  }
  void kill(int sig = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    if (sig == SIGKILL) {
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  void signal(int sig) { ::kill(pid_, sig); }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  void spawn() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no server behind
      const std::string log = (dir_ / "redis.log").string();
      if (!freopen(log.c_str(), "a", stdout)) _exit(126);
      const std::string p = std::to_string(port_);
      ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", dir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  bool wait_ready() {
    config::RedisEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = port_;
    return testing::poll_until([&] {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return true;  // exited (port taken): reported below
      }
      RedisConnection c;
      std::string error;
      RedisReply reply;
      return c.connect(ep, 200ms, 200ms, error) && c.command({"PING"}, reply, error) && reply.str == "PONG";
    }, 10s) && pid_ > 0;
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace corral::shared_state
