// Claims of passed-over requests in ModelDemand: first come first served per backend, visible to other
// models' picks only, ended by the ticket that holds them (and never touching a demand table that is gone).
#include <memory>

#include <gtest/gtest.h>

#include "admission/model_demand.hpp"

namespace corral::admission {
namespace {

TEST(ModelDemandClaims, AClaimKeepsOtherModelsOffItsBackendUntilTheTicketEnds) {
  auto demand = std::make_shared<ModelDemand>();
  EXPECT_FALSE(demand->claimed_by_other(0, 7));
  {
    DemandTicket y(7, 0);
    y.claim(0);  // not waiting yet: nothing happens
    EXPECT_FALSE(demand->claimed_by_other(0, 8));
    y.wait_in(*demand, demand);
    y.claim(0);
    y.claim(0);  // its next failed pick: still one claim
    EXPECT_TRUE(demand->claimed_by_other(0, 8));   // another model's request stays off backend 0
    EXPECT_FALSE(demand->claimed_by_other(0, 7));  // the claimant's model may go there
    EXPECT_FALSE(demand->claimed_by_other(1, 8));  // other backends are untouched
  }
  EXPECT_FALSE(demand->claimed_by_other(0, 8));
}

TEST(ModelDemandClaims, TheFirstClaimOnABackendWins) {
  ModelDemand demand;
  int a = 0;
  int b = 0;
  EXPECT_TRUE(demand.claim(2, 7, &a));
  EXPECT_FALSE(demand.claim(2, 8, &b));
  EXPECT_TRUE(demand.claimed_by_other(2, 8));
  demand.release_claims(&b);  // not b's: nothing changes
  EXPECT_TRUE(demand.claimed_by_other(2, 8));
  demand.release_claims(&a);
  EXPECT_TRUE(demand.claim(2, 8, &b));
  EXPECT_TRUE(demand.claimed_by_other(2, 7));
}

TEST(ModelDemandClaims, ATicketOutlivingItsQueueReleasesNothing) {
  auto ticket = std::make_unique<DemandTicket>(7, 0);
  {
    auto demand = std::make_shared<ModelDemand>();
    ticket->wait_in(*demand, demand);
    ticket->claim(1);
    EXPECT_TRUE(demand->claimed_by_other(1, 8));
  }
  ticket.reset();  // the demand table is gone: the destructor must not touch it
  SUCCEED();
}

}  // namespace
}  // namespace corral::admission
