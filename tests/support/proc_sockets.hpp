// Test helper: what a process holds open, read from procfs, for leak checks that count instead of
// time: its file descriptors, and its TCP sockets to or from one port (the kernel's socket tables
// matched against the process's own fds, so other processes' sockets to the same port never count).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace corral::testing {

/// How many file descriptors `pid` has open (entries of /proc/PID/fd).
[[nodiscard]] std::size_t open_fds(pid_t pid);

/// How many TCP sockets of `pid` are connected to remote port `port` (IPv4 and IPv6, any state but
/// LISTEN: a socket the peer closed but the process still holds counts too).
[[nodiscard]] std::size_t tcp_connections_to(pid_t pid, std::uint16_t port);

/// How many TCP sockets of `pid` were accepted on its local port `port` (any state but LISTEN).
[[nodiscard]] std::size_t tcp_connections_on(pid_t pid, std::uint16_t port);

}  // namespace corral::testing
