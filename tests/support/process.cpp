#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool verbose() { return std::getenv("CORRAL_TEST_VERBOSE") != nullptr; }

}  // namespace

Process::Process(std::string binary, std::vector<std::string> args, std::vector<std::string> extra_env) {
  int err_fd = -1;
  if (!verbose()) {
    char path[] = "/tmp/corral-test-stderr-XXXXXX";
    err_fd = mkostemp(path, O_CLOEXEC);  // dup2'd for this child only, never inherited
    if (err_fd < 0) throw std::runtime_error("mkstemp failed");
    stderr_path_ = path;
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    if (err_fd >= 0) close(err_fd);
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> argv_store{binary};
  for (auto& a : args) argv_store.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store(std::move(extra_env));
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  // posix_spawn, not fork: the test process has threads and, under ASan, a large address space.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
  const int rc = posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (err_fd >= 0) close(err_fd);
  if (rc != 0) {
    close(out[0]);
    if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
    pid_ = -1;
    throw std::runtime_error("spawn " + binary + ": " + std::strerror(rc));
  }
  stdout_fd_ = out[0];
}

Process::~Process() {
  if (pid_ > 0 && !exit_status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
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

std::string Process::line() {
  auto l = read_line();
  if (!l) throw std::runtime_error("no stdout line from the child; its stderr:\n" + stderr_text());
  return *l;
}

void Process::signal(int sig) const {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
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
  if (stderr_path_.empty()) return {};
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string corral_binary() {
  const char* env = std::getenv("CORRAL_BINARY");
  if (env != nullptr && *env != '\0') return env;
#ifdef CORRAL_BINARY
  return CORRAL_BINARY;
#else
  throw std::runtime_error("CORRAL_BINARY is not set");
#endif
}

Server::Server(std::vector<std::string> args, std::vector<std::string> extra_env)
    : process(std::make_unique<Process>(corral_binary(), std::move(args), std::move(extra_env))) {
  auto line = process->read_line();
  if (!line || line->find(':') == std::string::npos) {
    const auto status = process->stop();
    throw std::runtime_error("corral did not print its address (exit " + (status ? std::to_string(*status) : "?") +
                             "); stderr:\n" + process->stderr_text());
  }
  address = *line;
  const auto colon = address.rfind(':');
  host = address.substr(0, colon);
  port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
}

std::string Server::admin_address() {
  const std::string l = process->line();
  if (l.rfind("admin ", 0) != 0) throw std::runtime_error("expected \"admin HOST:PORT\", got: " + l);
  return l.substr(6);
}

Finished run_corral(std::vector<std::string> args, std::vector<std::string> extra_env) {
  Process p(corral_binary(), std::move(args), std::move(extra_env));
  Finished f;
  f.exit_code = p.wait().value_or(-1);
  f.stderr_text = p.stderr_text();
  return f;
}

}  // namespace corral::testing
