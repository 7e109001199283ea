#include "admission/admission_controller.hpp"

#include <optional>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace corral::admission {
namespace {

config::Config two_pools(std::string_view second, std::uint32_t max_length) {
  return config::parse_config("pools:\n  - {name: a, backends: [http://a:1]}\n  - {name: " + std::string(second) +
                                  ", backends: [http://b:1]}\ndefault_pool: a\nqueue: {max_length: " +
                                  std::to_string(max_length) + "}\n",
                              "t.yaml");
}

TEST(AdmissionController, QueuesSurviveReloadsByName) {
  AdmissionController ac(two_pools("b", 4));
  const auto a = ac.queue("a");
  const auto b = ac.queue(1);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a, b);
  EXPECT_FALSE(ac.queue(2));
  EXPECT_FALSE(ac.queue("zzz"));

  // A waiter on `b`, which the reload removes.
  auto slots = std::make_shared<Slots>();
  slots->limit = 1;
  Lease held = b->try_acquire(0, slots);
  net::io_context io;
  std::optional<std::variant<Lease, AdmitError>> outcome;
  net::co_spawn(io, b->admit([slots](PoolQueue& q) { return q.try_acquire(0, slots); }),
                [&](std::exception_ptr, std::variant<Lease, AdmitError> r) { outcome.emplace(std::move(r)); });
  io.poll();
  EXPECT_EQ(ac.total_depth(), 1U);

  ac.reconfigure(two_pools("c", 0));
  EXPECT_EQ(ac.queue("a"), a);  // same queue object
  EXPECT_FALSE(ac.queue("b"));
  EXPECT_NE(ac.queue("c"), b);
  io.restart();
  io.poll();
  ASSERT_TRUE(outcome && std::holds_alternative<AdmitError>(*outcome));
  EXPECT_EQ(std::get<AdmitError>(*outcome), AdmitError::kNoBackend);

  // New limits apply to the surviving queue: max_length 0 now refuses at once.
  std::optional<std::variant<Lease, AdmitError>> refused;
  auto other = std::make_shared<Slots>();
  other->limit = 1;
  Lease taken = a->try_acquire(0, other);
  net::co_spawn(io, a->admit([other](PoolQueue& q) { return q.try_acquire(0, other); }),
                [&](std::exception_ptr, std::variant<Lease, AdmitError> r) { refused.emplace(std::move(r)); });
  io.restart();
  io.poll();
  ASSERT_TRUE(refused && std::holds_alternative<AdmitError>(*refused));
  EXPECT_EQ(std::get<AdmitError>(*refused), AdmitError::kQueueFull);
}

}  // namespace
}  // namespace corral::admission
