// API keys: the configured SHA-256 digests, the lookup of the presented key (`Authorization: Bearer
// KEY`, or `x-api-key: KEY` as Anthropic's clients send it) against them in constant time, and the
// per-key allow lists. Immutable after construction (built on the control
// thread with each configuration, then read from every worker without locks). It does not count requests:
// rate limits live in rate_limiter.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/auth_config.hpp"

namespace corral::auth {

/// One configured key, as the data path sees it. The clear-text key is never stored.
struct ApiKey {
  std::string name;
  std::array<unsigned char, 32> digest{};
  config::Role role = config::Role::kUser;
  std::vector<std::string> allowed_pools;   ///< globs; empty = all
  std::vector<std::string> allowed_models;  ///< globs on the model key; empty = all
  config::KeyLimits limits;

  [[nodiscard]] bool is_admin() const { return role == config::Role::kAdmin; }
};

struct AuthResult {
  enum class Status : std::uint8_t {
    kNoKey,     ///< neither Authorization nor x-api-key (or only empty ones): 401
    kBadKey,    ///< not `Bearer <token>`, or an unknown token: 401
    kConflict,  ///< Authorization and x-api-key both sent, with different keys: 401 (which one counts?)
    kOk,        ///< `key` is the caller's key; nullptr when auth is disabled
  };
  Status status = Status::kNoKey;
  const ApiKey* key = nullptr;

  [[nodiscard]] bool ok() const { return status == Status::kOk; }
};

class KeyStore final {
 public:
  /// An empty store with auth disabled: every request passes with no key.
  KeyStore() = default;
  /// Validates `config` (unique names, unique 64-hex-digit digests) and throws std::invalid_argument with a
  /// message naming the key on error (control plane: the loader reports it and keeps the old config).
  explicit KeyStore(const config::AuthConfig& config);

  [[nodiscard]] bool enabled() const { return enabled_; }

  /// Checks an Authorization header value and an x-api-key value (empty view = field absent). Either
  /// names the key; both may be sent when they name the same one (some SDKs add a Bearer header of their
  /// own), and two different keys are refused (kConflict) rather than one picked. Hashes the token once
  /// and compares the digest with every stored digest using CRYPTO_memcmp, without stopping at the first
  /// match, so the time taken depends only on the number of configured keys, not on which one matched or
  /// how much of a digest did. Never throws. When auth is disabled: {kOk, nullptr} whatever is sent.
  [[nodiscard]] AuthResult authenticate(std::string_view authorization_header, std::string_view x_api_key = {}) const;

  /// May `key` use `model_key` (normalised, routing::model_key) in `pool`? nullptr (auth disabled) -> true.
  /// An empty `model_key` means the call names no model (/api/tags, /api/version): only the pool is checked.
  [[nodiscard]] static bool authorize(const ApiKey* key, std::string_view pool, std::string_view model_key);

  /// May the caller use management endpoints on the public listener? Only an admin key may; with auth
  /// disabled nobody may (the admin listener is the place for them).
  [[nodiscard]] static bool may_manage(const ApiKey* key) { return key != nullptr && key->is_admin(); }

  [[nodiscard]] const std::vector<ApiKey>& keys() const { return keys_; }
  /// The key named `name`, or nullptr.
  [[nodiscard]] const ApiKey* find(std::string_view name) const;

 private:
  bool enabled_ = false;
  std::vector<ApiKey> keys_;
};

/// The token of `Bearer <token>` (scheme case-insensitive, spaces trimmed), or an empty view when the
/// value is not a Bearer credential.
[[nodiscard]] std::string_view bearer_token(std::string_view authorization_header);

/// The key in an x-api-key value (spaces trimmed), or an empty view when it is blank or holds inner
/// whitespace (not a single key).
[[nodiscard]] std::string_view api_key_token(std::string_view x_api_key);

}  // namespace corral::auth
