// Names of enumerations as the YAML spells them, and small lookups on a loaded configuration.
#include "config/config.hpp"

#include <array>
#include <utility>

namespace corral::config {
namespace {

constexpr std::array<std::pair<Policy, std::string_view>, 5> kPolicyNames{{
    {Policy::kRoundRobin, "round_robin"},
    {Policy::kLeastConnections, "least_connections"},
    {Policy::kPowerOfTwo, "power_of_two"},
    {Policy::kConsistentHash, "consistent_hash"},
    {Policy::kModelAware, "model_aware"},
}};

}  // namespace

std::string_view to_string(Policy policy) {
  for (const auto& [p, name] : kPolicyNames) {
    if (p == policy) return name;
  }
  return "unknown";
}

std::optional<Policy> policy_from_string(std::string_view text) {
  for (const auto& [p, name] : kPolicyNames) {
    if (name == text) return p;
  }
  return std::nullopt;
}

std::optional<std::size_t> Config::pool_index(std::string_view name) const {
  for (std::size_t i = 0; i < pools.size(); ++i) {
    if (pools[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace corral::config
