// A certificate made at test time by the openssl CLI, for the TLS scenarios (termination on a listener,
// TLS to backends). Header-only; the files are temporary and left to /tmp's cleaning.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "integration/gateway_harness.hpp"

namespace corral::gwtest {

struct Cert {
  std::string cert;
  std::string key;
};

// A self-signed P-256 certificate for 127.0.0.1 with common name `cn`.
inline Cert make_cert(const std::string& cn) {
  Cert c{write_temp("", ".crt"), write_temp("", ".key")};
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
                          cn + " -addext subjectAltName=IP:127.0.0.1 -keyout " + c.key + " -out " + c.cert +
                          " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
  return c;
}

}  // namespace corral::gwtest
