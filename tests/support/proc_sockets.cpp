#include "support/proc_sockets.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace corral::testing {
namespace {

constexpr const char* kTcpListen = "0A";  // TCP_LISTEN in /proc/net/tcp's `st` column

// The socket inodes among `pid`'s fds ("socket:[12345]" links).
std::set<unsigned long> socket_inodes(pid_t pid) {
  std::set<unsigned long> out;
  std::error_code ec;
  const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code lec;
    const std::string target = std::filesystem::read_symlink(entry.path(), lec).string();
    if (lec || target.rfind("socket:[", 0) != 0) continue;
    out.insert(std::stoul(target.substr(8)));
  }
  return out;
}

std::uint16_t proc_port(const std::string& address) {  // "0100007F:1F90" or the IPv6 form
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1), nullptr, 16));
}

// Sockets of `pid` in /proc/net/tcp{,6} whose local (`local`) or remote port is `port`, LISTEN excluded.
std::size_t count_sockets(pid_t pid, std::uint16_t port, bool local) {
  const std::set<unsigned long> inodes = socket_inodes(pid);
  std::size_t n = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local_address, remote_address, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local_address >> remote_address >> state >> queues >> timer >> retransmits >> uid >> timeout >>
          inode;
      if (!fields || state == kTcpListen || inodes.count(inode) == 0) continue;
      if (proc_port(local ? local_address : remote_address) == port) ++n;
    }
  }
  return n;
}

}  // namespace

std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

std::size_t tcp_connections_to(pid_t pid, std::uint16_t port) { return count_sockets(pid, port, false); }

std::size_t tcp_connections_on(pid_t pid, std::uint16_t port) { return count_sockets(pid, port, true); }

}  // namespace corral::testing
