#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process::Process(std::string binary, std::vector<std::string> args) {
  char path[] = "/tmp/corral-test-stderr-XXXXXX";
  const int err_fd = mkstemp(path);
  if (err_fd < 0) throw std::runtime_error("mkstemp failed");
  stderr_path_ = path;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(err_fd);
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> argv_store;
  argv_store.push_back(binary);
  for (auto& a : args) argv_store.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execv(binary.c_str(), argv.data());
    std::fprintf(stderr, "exec %s: %s\n", binary.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err_fd);
  stdout_fd_ = out[0];
}

Process::~Process() {
  stop();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (const auto nl = stdout_buffer_.find('\n'); nl != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, nl);
      stdout_buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0 || stdout_fd_ < 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    stdout_buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds deadline) {
  if (exit_status_) return exit_status_;
  if (pid_ <= 0) return std::nullopt;
  const auto until = Clock::now() + deadline;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = decode_status(status);
      return exit_status_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool Process::running() { return pid_ > 0 && !wait(std::chrono::milliseconds(0)); }

std::optional<int> Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || exit_status_) return exit_status_;
  signal(SIGTERM);
  if (auto s = wait(grace)) return s;
  signal(SIGKILL);
  return wait(std::chrono::seconds(10));
}

std::string Process::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Served start_corral(std::vector<std::string> args, std::chrono::milliseconds deadline) {
#ifdef CORRAL_BINARY
  const char* env = std::getenv("CORRAL_BINARY");
  const std::string binary = env != nullptr && *env != '\0' ? env : CORRAL_BINARY;
#else
  const char* env = std::getenv("CORRAL_BINARY");
  if (env == nullptr) throw std::runtime_error("CORRAL_BINARY is not set");
  const std::string binary = env;
#endif
  Served s;
  s.process = std::make_unique<Process>(binary, std::move(args));
  auto line = s.process->read_line(deadline);
  if (!line || line->find(':') == std::string::npos) {
    s.process->stop();
    throw std::runtime_error("corral did not print its address; stderr:\n" + s.process->stderr_text());
  }
  s.address = *line;
  const auto colon = s.address.rfind(':');
  s.host = s.address.substr(0, colon);
  s.port = static_cast<std::uint16_t>(std::stoi(s.address.substr(colon + 1)));
  return s;
}

Served start_sim(std::vector<std::string> extra) {
  std::vector<std::string> args{"sim", "--listen", "127.0.0.1:0"};
  for (auto& a : extra) args.push_back(std::move(a));
  return start_corral(std::move(args));
}

}  // namespace corral::testing
