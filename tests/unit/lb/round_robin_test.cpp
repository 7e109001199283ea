#include "lb/round_robin.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace corral::lb {
namespace {

TEST(RoundRobin, EqualWeightsRotateEvenly) {
  RoundRobinPolicy policy;
  const std::vector<Candidate> candidates{{0}, {1}, {2}};
  std::vector<int> hits(3);
  for (int i = 0; i < 3000; ++i) {
    ++hits[*policy.pick(candidates, {})];
    const int lo = *std::min_element(hits.begin(), hits.end());
    const int hi = *std::max_element(hits.begin(), hits.end());
    ASSERT_LE(hi - lo, 1) << "after " << i + 1 << " picks";
  }
  // strict rotation
  EXPECT_EQ(*policy.pick(candidates, {}), 0U);
  EXPECT_EQ(*policy.pick(candidates, {}), 1U);
  EXPECT_EQ(*policy.pick(candidates, {}), 2U);
}

TEST(RoundRobin, WeightsGiveExactSharesPerCycleAndInterleave) {
  RoundRobinPolicy policy;
  std::vector<Candidate> candidates{{0}, {1}, {2}};
  candidates[0].weight = 5;
  candidates[1].weight = 2;
  candidates[2].weight = 1;
  std::vector<int> hits(3);
  int longest_run = 0;
  int run = 0;
  std::size_t last = 99;
  for (int i = 0; i < 8 * 1000; ++i) {
    const std::size_t p = *policy.pick(candidates, {});
    ++hits[p];
    run = p == last ? run + 1 : 1;
    longest_run = std::max(longest_run, run);
    last = p;
  }
  EXPECT_EQ(hits[0], 5000);
  EXPECT_EQ(hits[1], 2000);
  EXPECT_EQ(hits[2], 1000);
  EXPECT_LT(longest_run, 5);  // spread over the cycle, not AAAAABBC
}

TEST(RoundRobin, ConcurrentPicksStayEven) {
  RoundRobinPolicy policy;
  const std::vector<Candidate> candidates{{0}, {1}, {2}, {3}};
  std::vector<std::vector<int>> per_thread(4, std::vector<int>(4));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10'000; ++i) ++per_thread[t][*policy.pick(candidates, {})];
    });
  }
  for (auto& th : threads) th.join();
  for (int b = 0; b < 4; ++b) {
    int total = 0;
    for (int t = 0; t < 4; ++t) total += per_thread[t][b];
    EXPECT_EQ(total, 10'000);  // 40'000 tickets, each backend exactly a quarter
  }
}

}  // namespace
}  // namespace corral::lb
