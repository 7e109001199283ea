// The prompt (KV) cache of one loaded model, kept the way llama-server keeps it under Ollama >= 0.30:
// each parallel slot holds the token sequence of its last prompt, and a host-memory cache holds sequences
// that slots gave up, bounded by a byte budget (--cache-ram) at a notional KV size per token
// (--kv-per-token), the least recently saved dropped first. A new prompt gets an idle slot, reuses the
// longest common prefix of what that slot then holds, and only the rest is evaluated.
//
// Tokens are 4-byte units of the rendered prompt (request_body.hpp). A sequence is stored as those bytes:
// comparing prefixes needs nothing else, and it costs 4 real bytes per token where the cache it stands
// for costs --kv-per-token (128 KiB by default), so the default 8 GiB budget is 64 Ki tokens, 256 KiB
// here. Pure and not thread-safe: SimState calls it under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <vector>

namespace corral::sim {

/// Bytes of rendered prompt per simulated token.
inline constexpr std::size_t kTokenBytes = 4;

/// Whatever --cache-ram / --kv-per-token allow, the host cache holds at most this many tokens per model
/// (64 MiB of real memory), so a tiny --kv-per-token cannot make the simulator itself hold gigabytes.
inline constexpr std::uint64_t kMaxHostCacheTokens = std::uint64_t{1} << 24;

struct PromptCacheConfig {
  int slots = 1;                                   ///< the model's parallel slots
  std::uint64_t ram_bytes = std::uint64_t{8} << 30;  ///< --cache-ram; 0 = no host cache (slots only)
  std::uint64_t kv_per_token = std::uint64_t{128} << 10;  ///< --kv-per-token: notional bytes per cached token
};

/// What acquire() gave a prompt.
struct PromptHit {
  int slot = -1;            ///< the slot the request holds until release(); -1 = none was idle (a miss)
  std::size_t cached = 0;   ///< tokens reused; always fewer than the prompt's (the last one is re-evaluated)
  bool restored = false;    ///< the slot's sequence was swapped in from the host cache first
};

/// Tokens `a` and `b` share from their start (both a whole number of kTokenBytes units).
[[nodiscard]] std::size_t common_prefix_tokens(std::string_view a, std::string_view b);

class PromptCache final {
 public:
  PromptCache() : PromptCache(PromptCacheConfig{}) {}
  explicit PromptCache(PromptCacheConfig config);

  /// Gives an idle slot to a prompt of `tokens` (a whole number of kTokenBytes units, not empty) and
  /// says how many of its tokens are reused. The slot: the idle one whose sequence shares the longest
  /// prefix with the prompt if that is more than 10 % of the prompt (llama-server's
  /// --slot-prompt-similarity), else a never-used slot, else the least recently used idle one. When the
  /// slot was taken by recency, or it keeps less than half of its sequence, its sequence is saved to the
  /// host cache and the host entry that matches the prompt better (keeping at least a quarter of itself)
  /// is moved into the slot instead. The slot then holds the prompt.
  PromptHit acquire(std::string_view tokens);

  /// The request on `slot` ended; the slot keeps its sequence for the next prompt. Ignores a slot that
  /// is not held.
  void release(int slot);

  // What the cache holds, for /sim/stats-free tests.
  [[nodiscard]] int slots() const { return slot_count_; }
  [[nodiscard]] std::size_t slot_tokens(int slot) const;
  [[nodiscard]] std::size_t host_entries() const { return host_.size(); }
  [[nodiscard]] std::uint64_t host_tokens() const { return host_tokens_; }
  [[nodiscard]] std::uint64_t host_capacity_tokens() const { return capacity_tokens_; }
  /// Host entries dropped to make room, oldest first.
  [[nodiscard]] std::uint64_t host_evictions() const { return host_evictions_; }

 private:
  struct Slot {
    std::string seq;  // the rendered bytes of the slot's last prompt
    bool busy = false;
    std::uint64_t last_used = 0;
  };

  int pick_slot(std::string_view tokens, bool& save_and_restore);
  void save(const std::string& seq);
  bool restore(Slot& slot, std::string_view tokens);

  int slot_count_ = 1;
  std::vector<Slot> slots_;        // the slots used so far; the others are still empty
  std::list<std::string> host_;    // least recently saved first
  std::uint64_t host_tokens_ = 0;
  std::uint64_t capacity_tokens_ = 0;
  std::uint64_t host_evictions_ = 0;
  std::uint64_t tick_ = 0;
};

}  // namespace corral::sim
