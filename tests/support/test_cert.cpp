#include "support/test_cert.hpp"

#include <cstdlib>
#include <stdexcept>

#include "support/text_file.hpp"

namespace corral::testing {

Cert make_cert(const std::string& cn) {
  Cert c{write_temp("", ".crt"), write_temp("", ".key")};
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
                          cn + " -addext subjectAltName=IP:127.0.0.1 -keyout " + c.key + " -out " + c.cert +
                          " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
  return c;
}

}  // namespace corral::testing
