// The OpenSSL server context of a TLS listener, built from cert_file + key_file with modern defaults
// (Mozilla "intermediate": TLS 1.2 and 1.3 only, AEAD ECDHE suites, no compression, no renegotiation,
// server cipher preference off as the guideline says). Built on the control thread at start and on every
// reload; connections keep the context they were accepted with, so a rotation never breaks them.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "config/tls_config.hpp"

namespace corral::tls {

using SslContext = boost::asio::ssl::context;

/// Throws std::runtime_error naming the file and OpenSSL's reason when the certificate or key cannot be
/// loaded or do not match.
[[nodiscard]] std::shared_ptr<SslContext> make_server_context(const config::TlsConfig& config);

}  // namespace corral::tls
