#include "tls/upstream_tls.hpp"

// GCC 12 reports Asio's coroutine frame allocation as a -Wmismatched-new-delete false positive (as in
// client_connection.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <openssl/ssl.h>

#include <stdexcept>

#include <boost/asio/ssl/host_name_verification.hpp>

#include "common/log.hpp"
#include "tls/ssl_relay.hpp"

namespace corral::tls {
namespace {

// The relay owns the TLS stream and its end of the pair for the connection's life.
net::awaitable<void> pump(std::unique_ptr<SslStream> tls, std::unique_ptr<LocalSocket> mine) {
  co_await relay(*tls, *mine, std::chrono::nanoseconds{0});  // our side closing is Ollama's cancel: no linger
}

}  // namespace

std::shared_ptr<const UpstreamTls> make_upstream_tls(const std::string& host, const std::string& ca_file, bool verify) {
  auto out = std::make_shared<UpstreamTls>();
  out->context = std::make_shared<SslContext>(SslContext::tls_client);
  SSL_CTX_set_min_proto_version(out->context->native_handle(), TLS1_2_VERSION);
  out->context->set_options(SslContext::default_workarounds | SslContext::no_compression);
  error_code ec;
  if (ca_file.empty()) {
    out->context->set_default_verify_paths(ec);
  } else {
    out->context->load_verify_file(ca_file, ec);
  }
  if (ec && verify) {
    throw std::runtime_error("cannot load CA certificates from '" + (ca_file.empty() ? "the system store" : ca_file) +
                             "': " + ec.message());
  }
  out->context->set_verify_mode(verify ? net::ssl::verify_peer : net::ssl::verify_none);
  out->host = host;
  out->verify = verify;
  return out;
}

net::awaitable<std::optional<tcp::socket>> connect_upstream(tcp::socket socket, std::shared_ptr<const UpstreamTls> tls,
                                                            std::chrono::nanoseconds timeout, error_code& ec) {
  const auto ex = socket.get_executor();
  auto stream = std::make_unique<SslStream>(beast::tcp_stream(std::move(socket)), *tls->context);
  error_code not_address;
  (void)net::ip::make_address(tls->host, not_address);
  const bool is_address = !not_address;
  // SNI carries names only (RFC 6066); OpenSSL copies the string.
  if (!is_address) SSL_set_tlsext_host_name(stream->native_handle(), tls->host.c_str());
  if (tls->verify) stream->set_verify_callback(net::ssl::host_name_verification(tls->host));
  beast::get_lowest_layer(*stream).expires_after(timeout);
  auto [hec] = co_await stream->async_handshake(net::ssl::stream_base::client, use_tuple);
  if (hec) {
    ec = hec;
    beast::get_lowest_layer(*stream).close();
    if (!tls->failing.exchange(true)) log::warn("TLS handshake with {} failed: {}", tls->host, hec.message());
    co_return std::nullopt;
  }
  if (tls->failing.exchange(false)) log::info("TLS handshake with {} succeeds again", tls->host);
  beast::get_lowest_layer(*stream).expires_never();
  auto mine = std::make_unique<LocalSocket>(ex);
  tcp::socket plain(ex);
  if (!make_plain_pair(ex, *mine, plain)) {
    ec = net::error::no_descriptors;
    beast::get_lowest_layer(*stream).close();
    co_return std::nullopt;
  }
  net::co_spawn(ex, pump(std::move(stream), std::move(mine)), net::detached);
  ec = {};
  co_return std::optional<tcp::socket>(std::move(plain));
}

}  // namespace corral::tls
