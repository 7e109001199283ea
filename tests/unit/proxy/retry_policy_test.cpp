// The one retry decision: which failures may go to another backend, for which routes, how often, and
// within the fleet's budget; and that the error table agrees with what docs/gateway.md promises.
#include <gtest/gtest.h>

#include "proxy/retry_policy.hpp"

namespace corral::proxy {
namespace {

using namespace std::chrono_literals;
using Clock = admission::RetryBudget::Clock;

// A budget that never runs out within a test: min_per_second covers every retry asked for.
config::RetryBudgetConfig roomy() {
  config::RetryBudgetConfig c;
  c.min_per_second = 1000;
  return c;
}

constexpr RetryPolicy kInference{true, 2};

TEST(RetryPolicy, RetriesWhatTheTableMarksRetryable) {
  admission::RetryBudget budget(roomy());
  const auto now = Clock::now();
  for (const ErrorKind k : {ErrorKind::kUpstreamConnectFailed, ErrorKind::kUpstreamConnectTimeout,
                            ErrorKind::kUpstreamResetBeforeHead, ErrorKind::kUpstreamBusy,
                            ErrorKind::kUpstreamBadGateway}) {
    EXPECT_TRUE(error_info(k).retryable) << error_info(k).name;
    EXPECT_TRUE(kInference.allows(k, 0, budget, now)) << error_info(k).name;
  }
}

TEST(RetryPolicy, FirstByteTimeoutNeverRetried) {
  admission::RetryBudget budget(roomy());
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamFirstByteTimeout, 0, budget, Clock::now()));
}

TEST(RetryPolicy, NeverRetriesWhatMayHaveRunOrWasCut) {
  admission::RetryBudget budget(roomy());
  const auto now = Clock::now();
  for (const ErrorKind k : {ErrorKind::kUpstreamBadResponse, ErrorKind::kUpstreamStreamError,
                            ErrorKind::kStreamIdleTimeout, ErrorKind::kClientClosed, ErrorKind::kQueueFull,
                            ErrorKind::kQueueTimeout, ErrorKind::kNoEligibleBackend, ErrorKind::kInternal}) {
    EXPECT_FALSE(kInference.allows(k, 0, budget, now)) << error_info(k).name;
  }
}

TEST(RetryPolicy, UpstreamBadGatewayIsRetryableButLooksLikeABadResponseToClientsAndLogs) {
  const ErrorInfo& answered = error_info(ErrorKind::kUpstreamBadGateway);
  const ErrorInfo& unparsable = error_info(ErrorKind::kUpstreamBadResponse);
  EXPECT_EQ(answered.status, 502);
  EXPECT_EQ(answered.message, "upstream answered 502 Bad Gateway");
  EXPECT_EQ(answered.name, unparsable.name);
  EXPECT_FALSE(answered.retry_after);
  EXPECT_TRUE(answered.retryable);
  EXPECT_FALSE(unparsable.retryable);
}

TEST(RetryPolicy, NeverRetriesAManagementCall) {
  admission::RetryBudget budget(roomy());
  const RetryPolicy management{false, 2};
  EXPECT_FALSE(management.allows(ErrorKind::kUpstreamConnectFailed, 0, budget, Clock::now()));
  EXPECT_FALSE(management.allows(ErrorKind::kUpstreamBusy, 0, budget, Clock::now()));
}

TEST(RetryPolicy, NeverAfterMax) {
  admission::RetryBudget budget(roomy());
  const auto now = Clock::now();
  EXPECT_TRUE(kInference.allows(ErrorKind::kUpstreamConnectFailed, 1, budget, now));
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamConnectFailed, 2, budget, now));
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamConnectFailed, 3, budget, now));
  const RetryPolicy none{true, 0};  // retries: 0
  EXPECT_FALSE(none.allows(ErrorKind::kUpstreamConnectFailed, 0, budget, now));
}

TEST(RetryPolicy, NeverBeyondTheBudget) {
  config::RetryBudgetConfig c;
  c.ratio = 0.5;
  c.min_per_second = 0;
  c.window = 10s;
  admission::RetryBudget budget(c);
  const auto now = Clock::now();
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamConnectFailed, 0, budget, now));  // no request seen yet
  budget.record_request(now);
  budget.record_request(now);
  EXPECT_TRUE(kInference.allows(ErrorKind::kUpstreamConnectFailed, 0, budget, now));  // half of two
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamConnectFailed, 0, budget, now));
}

TEST(RetryPolicy, ARefusedRetrySpendsNoBudget) {
  config::RetryBudgetConfig c;
  c.ratio = 0;
  c.min_per_second = 1;
  c.window = 1s;
  admission::RetryBudget budget(c);
  const auto now = Clock::now();
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamFirstByteTimeout, 0, budget, now));
  const RetryPolicy management{false, 2};
  EXPECT_FALSE(management.allows(ErrorKind::kUpstreamBusy, 0, budget, now));
  EXPECT_FALSE(kInference.allows(ErrorKind::kUpstreamBusy, 2, budget, now));
  EXPECT_EQ(budget.remaining(now), 1u);
  EXPECT_TRUE(kInference.allows(ErrorKind::kUpstreamBusy, 0, budget, now));
  EXPECT_EQ(budget.remaining(now), 0u);
}

}  // namespace
}  // namespace corral::proxy
