#include "net/connection_limiter.hpp"

namespace corral::netio {

std::unique_ptr<ConnectionLimiter::Ticket> ConnectionLimiter::try_open(const std::string& ip, std::uint32_t total,
                                                                       std::uint32_t per_ip) {
  {
    std::lock_guard lock(mu_);
    std::uint32_t& mine = per_ip_[ip];
    if ((total > 0 && open_ >= total) || (per_ip > 0 && mine >= per_ip)) {
      if (mine == 0) per_ip_.erase(ip);
      ++refused_;
      return nullptr;
    }
    ++mine;
    ++open_;
  }
  return std::make_unique<Ticket>(shared_from_this(), ip);
}

void ConnectionLimiter::release(const std::string& ip) {
  std::lock_guard lock(mu_);
  const auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  --open_;
}

std::uint64_t ConnectionLimiter::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

std::uint64_t ConnectionLimiter::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace corral::netio
