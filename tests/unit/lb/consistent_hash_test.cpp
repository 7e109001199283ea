#include "lb/consistent_hash.hpp"

#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "common/hash.hpp"

namespace corral::lb {
namespace {

std::vector<std::string> names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("10.0.0." + std::to_string(i) + ":11434");
  return out;
}

std::vector<Candidate> idle(std::uint32_t n) {
  std::vector<Candidate> out;
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(Candidate{i});
  return out;
}

PickContext key_ctx(std::uint64_t key) { return PickContext{{}, key, true, 0}; }

TEST(ConsistentHash, StableKeyToBackend) {
  ConsistentHashPolicy a(names(5), {}, 1.25);
  ConsistentHashPolicy b(names(5), {}, 1.25);  // a reload builds the same ring
  const auto candidates = idle(5);
  for (std::uint64_t k = 0; k < 2000; ++k) {
    const std::uint64_t key = common::mix64(k);
    const auto first = a.pick(candidates, key_ctx(key));
    ASSERT_EQ(first, a.pick(candidates, key_ctx(key)));
    ASSERT_EQ(first, b.pick(candidates, key_ctx(key)));
    ASSERT_EQ(candidates[*first].backend, a.owner(key));
  }
}

TEST(ConsistentHash, SpreadsKeysRoughlyEvenly) {
  ConsistentHashPolicy policy(names(4), {}, 1.25);
  std::vector<int> hits(4);
  for (std::uint64_t k = 0; k < 40'000; ++k) ++hits[policy.owner(common::mix64(k))];
  for (int h : hits) EXPECT_NEAR(h, 10'000, 2'000);
}

TEST(ConsistentHash, RemovingABackendMovesOnlyItsKeys) {
  ConsistentHashPolicy policy(names(5), {}, 1.25);
  auto all = idle(5);
  std::vector<Candidate> without_2;
  for (const Candidate& c : all) {
    if (c.backend != 2) without_2.push_back(c);
  }
  int moved = 0;
  for (std::uint64_t k = 0; k < 5000; ++k) {
    const std::uint64_t key = common::mix64(k);
    const std::uint32_t before = all[*policy.pick(all, key_ctx(key))].backend;
    const std::uint32_t after = without_2[*policy.pick(without_2, key_ctx(key))].backend;
    if (before != 2) {
      ASSERT_EQ(before, after) << "key " << k << " moved although its backend stayed";
    } else {
      ++moved;
      ASSERT_NE(after, 2U);
    }
  }
  EXPECT_NEAR(moved, 1000, 300);

  // The same holds for a reload that drops the backend from the configuration: points come from names.
  auto fewer = names(5);
  fewer.erase(fewer.begin() + 2);
  ConsistentHashPolicy reloaded(fewer, {}, 1.25);
  for (std::uint64_t k = 0; k < 5000; ++k) {
    const std::uint64_t key = common::mix64(k);
    const std::uint32_t before = policy.owner(key);
    if (before == 2) continue;
    const std::uint32_t after = reloaded.owner(key);
    ASSERT_EQ(after, before < 2 ? before : before - 1);  // same backend, new index
  }
}

TEST(ConsistentHash, BoundedLoadSkipsAnOverloadedOwner) {
  ConsistentHashPolicy policy(names(4), {}, 1.25);
  auto candidates = idle(4);
  const std::uint64_t key = common::mix64(123);
  const std::uint32_t owner = policy.owner(key);
  candidates[owner].in_flight = 10;  // total 10 over 4: capacity ceil(1.25 * 11 / 4) = 4
  const auto picked = policy.pick(candidates, key_ctx(key));
  EXPECT_NE(candidates[*picked].backend, owner);
  candidates[owner].in_flight = 3;  // capacity ceil(1.25 * 4 / 4) = 2: 3 + 1 > 2, still skipped
  EXPECT_NE(candidates[*policy.pick(candidates, key_ctx(key))].backend, owner);
  candidates = idle(4);
  candidates[owner].in_flight = 1;
  for (auto& c : candidates) c.in_flight = 1;  // balanced: capacity ceil(1.25 * 5 / 4) = 2, fits
  EXPECT_EQ(candidates[*policy.pick(candidates, key_ctx(key))].backend, owner);
}

TEST(ConsistentHash, BoundedLoadHoldsOverManyPicks) {
  // Simulate requests that stay in flight: no backend ever exceeds ceil(factor x average) + 1.
  ConsistentHashPolicy policy(names(5), {}, 1.25);
  auto candidates = idle(5);
  for (std::uint64_t k = 0; k < 500; ++k) {
    const std::uint64_t key = common::mix64(k % 7);  // only 7 hot keys: hashing alone would pile up
    std::uint64_t total = 0;
    for (const auto& c : candidates) total += c.in_flight;
    const double cap = std::ceil(1.25 * static_cast<double>(total + 1) / 5.0);
    const auto picked = policy.pick(candidates, key_ctx(key));
    ASSERT_LE(candidates[*picked].in_flight + 1, cap);
    ++candidates[*picked].in_flight;
  }
}

TEST(ConsistentHash, KeyFallsBackToTheModelAndWalksPastNonCandidates) {
  ConsistentHashPolicy policy(names(3), {}, 1.25);
  const std::vector<Candidate> all = idle(3);
  const PickContext by_model{"llama3:latest", 0, false, 0};
  const auto owner = all[*policy.pick(all, by_model)].backend;
  EXPECT_EQ(owner, policy.owner(common::hash_key("llama3:latest")));
  std::vector<Candidate> others;
  for (const auto& c : all) {
    if (c.backend != owner) others.push_back(c);
  }
  const auto picked = policy.pick(others, by_model);
  ASSERT_TRUE(picked);
  EXPECT_NE(others[*picked].backend, owner);
  // A candidate unknown to the ring still gets served.
  const std::vector<Candidate> stranger{{99}};
  EXPECT_EQ(policy.pick(stranger, by_model), 0U);
}

TEST(ConsistentHash, WeightsScaleTheShare) {
  ConsistentHashPolicy policy(names(2), {3, 1}, 1.25);
  std::vector<int> hits(2);
  for (std::uint64_t k = 0; k < 40'000; ++k) ++hits[policy.owner(common::mix64(k))];
  EXPECT_NEAR(static_cast<double>(hits[0]) / 40'000, 0.75, 0.06);
}

}  // namespace
}  // namespace corral::lb
