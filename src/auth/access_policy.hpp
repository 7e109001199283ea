// What one configuration says about access: the API keys, the trusted proxies' CIDRs, and the model
// rules that name a request's pool (for allow lists). Built on the control thread as part of the
// registry's snapshot (upstream/backend_registry.hpp), so a reload rebuilds it and a request reads the
// one it loaded without locks. It neither counts requests nor decides: gatekeeper.hpp does.
#pragma once

#include "auth/key_store.hpp"
#include "auth/trusted_proxies.hpp"
#include "config/config.hpp"
#include "routing/model_matcher.hpp"

namespace corral::auth {

struct AccessPolicy {
  /// Throws std::invalid_argument on keys or CIDRs the loader would have refused. `config` and `matcher`
  /// belong to the owner (the snapshot), which outlives the policy.
  AccessPolicy(const config::Config& config, const routing::ModelMatcher& matcher);

  const config::Config& config;
  KeyStore keys;
  CidrSet trusted;
  const routing::ModelMatcher& matcher;
};

}  // namespace corral::auth
