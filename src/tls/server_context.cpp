#include "tls/server_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace corral::tls {
namespace {

// Mozilla intermediate (v5.7) TLS 1.2 suites; TLS 1.3 suites are OpenSSL's defaults, all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

}  // namespace

std::shared_ptr<SslContext> make_server_context(const config::TlsConfig& config) {
  auto ctx = std::make_shared<SslContext>(SslContext::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    throw std::runtime_error("tls: cipher list refused: " + openssl_reason());
  }
  if (SSL_CTX_use_certificate_chain_file(native, config.cert_file.c_str()) != 1) {
    throw std::runtime_error("tls: cannot load certificate '" + config.cert_file + "': " + openssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(native, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("tls: cannot load key '" + config.key_file + "': " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("tls: key '" + config.key_file + "' does not match certificate '" + config.cert_file +
                             "'");
  }
  return ctx;
}

}  // namespace corral::tls
