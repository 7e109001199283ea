// The last failed requests for the status page's "recent errors" list: a fixed ring of entries under
// one small mutex. Only failures take it (5xx, 499 and truncated streams), never a successful request,
// so the hot path stays lock-free; entries are copied out for /corral/api/status.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace corral::observe {

struct ErrorEntry {
  std::int64_t time_unix_ms = 0;
  int status = 0;
  std::string kind;     ///< ErrorKind name, or "upstream_status" / "truncated" for upstream answers
  std::string model;
  std::string backend;
  std::string message;  ///< short, sanitised
};

class RecentErrors final {
 public:
  static constexpr std::size_t kCapacity = 50;

  /// Adds one entry, dropping the oldest beyond kCapacity. Any thread.
  void add(ErrorEntry entry);
  /// The entries, oldest first. Any thread.
  [[nodiscard]] std::vector<ErrorEntry> list() const;

 private:
  mutable std::mutex mutex_;
  std::array<ErrorEntry, kCapacity> ring_;
  std::size_t next_ = 0;
  std::size_t size_ = 0;
};

}  // namespace corral::observe
