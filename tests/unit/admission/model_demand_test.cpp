// Queued demand per model: a ticket counts once from its first wait until it is destroyed, and never
// touches a demand table whose owner is gone.
#include "admission/model_demand.hpp"

#include <gtest/gtest.h>

namespace corral::admission {
namespace {

TEST(ModelDemand, ATicketCountsOnceWhileItWaits) {
  auto owner = std::make_shared<ModelDemand>();
  {
    DemandTicket a(1, 0);
    DemandTicket b(1, 0);
    DemandTicket other(2, 0);
    EXPECT_EQ(owner->waiting(1), 0U);
    a.wait_in(*owner, owner);
    a.wait_in(*owner, owner);  // a second failed pick of the same request
    b.wait_in(*owner, owner);
    other.wait_in(*owner, owner);
    EXPECT_EQ(owner->waiting(1), 2U);
    EXPECT_EQ(owner->waiting(2), 1U);
  }
  EXPECT_EQ(owner->waiting(1), 0U);
  EXPECT_EQ(owner->waiting(2), 0U);
}

TEST(ModelDemand, ATicketOutlivingItsQueueLeavesItAlone) {
  auto ticket = std::make_unique<DemandTicket>(1, 0);
  {
    auto owner = std::make_shared<ModelDemand>();
    ticket->wait_in(*owner, owner);
  }
  ticket.reset();  // must not touch the destroyed table (ASan would see it)
  SUCCEED();
}

}  // namespace
}  // namespace corral::admission
