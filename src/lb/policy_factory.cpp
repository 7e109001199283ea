// The pool's `policy` name -> a policy instance (a plain switch; Corral has five, not a plugin registry).
#include "config/config.hpp"
#include "lb/consistent_hash.hpp"
#include "lb/least_connections.hpp"
#include "lb/model_aware.hpp"
#include "lb/policy.hpp"
#include "lb/power_of_two.hpp"
#include "lb/round_robin.hpp"

namespace corral::lb {

std::unique_ptr<Policy> make_policy(const config::PoolConfig& pool) {
  switch (pool.policy) {
    case config::Policy::kRoundRobin:
      return std::make_unique<RoundRobinPolicy>();
    case config::Policy::kLeastConnections:
      return std::make_unique<LeastConnectionsPolicy>();
    case config::Policy::kPowerOfTwo:
      return std::make_unique<PowerOfTwoPolicy>();
    case config::Policy::kConsistentHash:
      return std::make_unique<ConsistentHashPolicy>(pool);
    case config::Policy::kModelAware:
      return std::make_unique<ModelAwarePolicy>();
  }
  return std::make_unique<ModelAwarePolicy>();
}

}  // namespace corral::lb
