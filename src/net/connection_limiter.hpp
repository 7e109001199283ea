// Caps on open client connections of one listener: in total and per peer address (limits.max_connections,
// limits.max_connections_per_ip). The listener asks at accept time; a granted slot is an RAII ticket the
// connection holds until it closes, from whichever worker thread. One small mutex: taken twice per
// connection (open and close), never per request. Caps are read from the configuration at each accept,
// so a reload applies to new connections.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace corral::netio {

class ConnectionLimiter final : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  /// Releases its slot when destroyed.
  class Ticket final {
   public:
    Ticket(std::shared_ptr<ConnectionLimiter> owner, std::string ip) : owner_(std::move(owner)), ip_(std::move(ip)) {}
    ~Ticket() { owner_->release(ip_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    std::shared_ptr<ConnectionLimiter> owner_;
    std::string ip_;
  };

  /// A ticket, or nullptr when `ip` already holds `per_ip` connections or the listener `total` (0 = no cap).
  [[nodiscard]] std::unique_ptr<Ticket> try_open(const std::string& ip, std::uint32_t total, std::uint32_t per_ip);

  /// Connections open now (all addresses).
  [[nodiscard]] std::uint64_t open() const;
  /// Connections refused at accept so far.
  [[nodiscard]] std::uint64_t refused() const;

 private:
  void release(const std::string& ip);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::uint32_t> per_ip_;
  std::uint64_t open_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace corral::netio
