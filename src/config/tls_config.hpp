// `tls` of a listener: the certificate and key that turn TLS termination on. Plain struct; the config
// loader fills it, tls/server_context builds the OpenSSL context from it (and again on every reload).
#pragma once

#include <string>

namespace corral::config {

struct TlsConfig {
  /// `cert_file` (path, PEM): the certificate chain, leaf first. Empty (the default) = plain HTTP.
  std::string cert_file;
  /// `key_file` (path, PEM): the private key of the leaf certificate. Required with cert_file.
  std::string key_file;

  [[nodiscard]] bool enabled() const { return !cert_file.empty(); }
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

}  // namespace corral::config
