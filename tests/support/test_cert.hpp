// A certificate made at test time by the openssl CLI, for the TLS scenarios (termination on a listener,
// TLS to backends). The files are temporary and left to /tmp's cleaning.
#pragma once

#include <string>

namespace corral::testing {

struct Cert {
  std::string cert;
  std::string key;
};

/// A self-signed P-256 certificate for 127.0.0.1 with common name `cn`. Throws when openssl fails.
[[nodiscard]] Cert make_cert(const std::string& cn);

}  // namespace corral::testing
