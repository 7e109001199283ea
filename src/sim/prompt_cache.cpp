// llama-server's rules (tools/server: slot selection, server_prompt_cache alloc/load/update), read and
// restated: thresholds 0.10 (slot similarity), 0.5 (keep ratio below which a slot is saved) and 0.25 (a
// host entry must keep that share of itself to be restored). A restored entry leaves the host cache for
// the slot, and comes back at the young end when the slot gives it up, so dropping the oldest entry is
// dropping the least recently used one.
#include "sim/prompt_cache.hpp"

#include <algorithm>
#include <cstring>

namespace corral::sim {
namespace {

constexpr double kSlotSimilarity = 0.10;
constexpr double kSaveBelowKeep = 0.5;
constexpr double kRestoreMinKeep = 0.25;

std::size_t tokens_in(std::string_view seq) { return seq.size() / kTokenBytes; }

}  // namespace

std::size_t common_prefix_tokens(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  constexpr std::size_t kStride = 64;  // memcmp over long equal runs, bytes only near the first difference
  while (i + kStride <= n && std::memcmp(a.data() + i, b.data() + i, kStride) == 0) i += kStride;
  while (i < n && a[i] == b[i]) ++i;
  return i / kTokenBytes;
}

PromptCache::PromptCache(PromptCacheConfig config) : slot_count_(std::max(config.slots, 1)) {
  if (config.ram_bytes > 0 && config.kv_per_token > 0) {
    capacity_tokens_ = std::min(config.ram_bytes / config.kv_per_token, kMaxHostCacheTokens);
  }
}

PromptHit PromptCache::acquire(std::string_view tokens) {
  PromptHit hit;
  const std::size_t n = tokens_in(tokens);
  if (n == 0) return hit;
  bool save_and_restore = false;
  const int s = pick_slot(tokens, save_and_restore);
  if (s < 0) return hit;
  Slot& slot = slots_[static_cast<std::size_t>(s)];
  if (save_and_restore && capacity_tokens_ > 0) {
    save(slot.seq);
    hit.restored = restore(slot, tokens);
  }
  // A prompt wholly in the cache still evaluates its last token: that is where its logits come from.
  hit.cached = std::min(common_prefix_tokens(slot.seq, tokens), n - 1);
  hit.slot = s;
  slot.seq.assign(tokens.data(), tokens.size());
  slot.busy = true;
  return hit;
}

int PromptCache::pick_slot(std::string_view tokens, bool& save_and_restore) {
  const double n = static_cast<double>(tokens_in(tokens));
  int best = -1;
  double best_similarity = 0;
  std::size_t best_common = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    if (slot.busy || slot.seq.empty()) continue;
    const std::size_t common = common_prefix_tokens(slot.seq, tokens);
    const double similarity = static_cast<double>(common) / n;
    if (similarity > best_similarity && similarity > kSlotSimilarity) {
      best = static_cast<int>(i);
      best_similarity = similarity;
      best_common = common;
      if (similarity >= 1.0) break;  // nothing can beat the whole prompt
    }
  }
  if (best >= 0) {
    const auto held = static_cast<double>(tokens_in(slots_[static_cast<std::size_t>(best)].seq));
    save_and_restore = static_cast<double>(best_common) / held < kSaveBelowKeep;
    return best;
  }
  save_and_restore = true;
  if (static_cast<int>(slots_.size()) < slot_count_) {  // a never-used slot is the least recently used
    slots_.emplace_back();
    return static_cast<int>(slots_.size() - 1);
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].busy) continue;
    if (best < 0 || slots_[i].last_used < slots_[static_cast<std::size_t>(best)].last_used) best = static_cast<int>(i);
  }
  return best;
}

void PromptCache::save(const std::string& seq) {
  const std::size_t len = tokens_in(seq);
  if (len == 0 || len > capacity_tokens_) return;  // nothing to keep, or bigger than the whole budget
  for (const auto& e : host_) {
    if (common_prefix_tokens(e, seq) == len) return;  // already held, itself or inside a longer entry
  }
  for (auto it = host_.begin(); it != host_.end();) {
    const std::size_t held = tokens_in(*it);
    if (common_prefix_tokens(*it, seq) == held) {  // a prefix of what is saved now: it adds nothing
      host_tokens_ -= held;
      it = host_.erase(it);
    } else {
      ++it;
    }
  }
  while (!host_.empty() && host_tokens_ + len > capacity_tokens_) {
    host_tokens_ -= tokens_in(host_.front());
    host_.pop_front();
    ++host_evictions_;
  }
  host_.push_back(seq);
  host_tokens_ += len;
}

bool PromptCache::restore(Slot& slot, std::string_view tokens) {
  const double n = static_cast<double>(tokens_in(tokens));
  const std::size_t base = common_prefix_tokens(slot.seq, tokens);
  double keep_best = slot.seq.empty() ? -1.0 : static_cast<double>(base) / static_cast<double>(tokens_in(slot.seq));
  double similarity_best = static_cast<double>(base) / n;
  auto best = host_.end();
  for (auto it = host_.begin(); it != host_.end(); ++it) {
    const std::size_t common = common_prefix_tokens(*it, tokens);
    const double keep = static_cast<double>(common) / static_cast<double>(tokens_in(*it));
    const double similarity = static_cast<double>(common) / n;
    if (keep < kRestoreMinKeep) continue;  // it would throw away most of a large prompt
    if (keep > keep_best && similarity > similarity_best) {
      keep_best = keep;
      similarity_best = similarity;
      best = it;
    }
  }
  if (best == host_.end()) return false;
  host_tokens_ -= tokens_in(*best);
  slot.seq = std::move(*best);
  host_.erase(best);
  return true;
}

void PromptCache::release(int slot) {
  if (slot < 0 || static_cast<std::size_t>(slot) >= slots_.size()) return;
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  if (!s.busy) return;
  s.busy = false;
  s.last_used = ++tick_;
}

std::size_t PromptCache::slot_tokens(int slot) const {
  if (slot < 0 || static_cast<std::size_t>(slot) >= slots_.size()) return 0;
  return tokens_in(slots_[static_cast<std::size_t>(slot)].seq);
}

}  // namespace corral::sim
