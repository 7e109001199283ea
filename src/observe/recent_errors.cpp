#include "observe/recent_errors.hpp"

namespace corral::observe {

void RecentErrors::add(ErrorEntry entry) {
  std::lock_guard lock(mutex_);
  ring_[next_] = std::move(entry);
  next_ = (next_ + 1) % kCapacity;
  if (size_ < kCapacity) ++size_;
}

std::vector<ErrorEntry> RecentErrors::list() const {
  std::lock_guard lock(mutex_);
  std::vector<ErrorEntry> out;
  out.reserve(size_);
  const std::size_t first = (next_ + kCapacity - size_) % kCapacity;
  for (std::size_t i = 0; i < size_; ++i) out.push_back(ring_[(first + i) % kCapacity]);
  return out;
}

}  // namespace corral::observe
