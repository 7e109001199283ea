#include "auth/key_store.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "common/hex.hpp"
#include "routing/model_matcher.hpp"
#include "routing/model_name.hpp"

namespace corral::auth {
namespace {

bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Same rule as models[].match: a pattern without a tag matches the name without its tag.
bool model_allowed(const std::string& pattern, std::string_view model_key) {
  const auto colon = pattern.rfind(':');
  const auto slash = pattern.rfind('/');
  const bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  return routing::glob_match(pattern, has_tag ? model_key : routing::strip_tag(model_key));
}

}  // namespace

std::string_view bearer_token(std::string_view value) {
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || !ascii_iequals(value.substr(0, kScheme.size()), kScheme) ||
      !is_space(value[kScheme.size()])) {
    return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  // token68 has no inner whitespace; a value with one is not a single credential.
  if (std::any_of(value.begin(), value.end(), is_space)) return {};
  return value;
}

std::string_view api_key_token(std::string_view value) {
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  if (std::any_of(value.begin(), value.end(), is_space)) return {};
  return value;
}

KeyStore::KeyStore(const config::AuthConfig& config) : enabled_(config.enabled.value_or(true)) {
  std::unordered_set<std::string> names;
  std::unordered_set<std::string> digests;
  keys_.reserve(config.keys.size());
  for (const auto& kc : config.keys) {
    if (kc.name.empty()) throw std::invalid_argument("auth.keys: a key has no name");
    if (!names.insert(kc.name).second) throw std::invalid_argument("auth.keys: duplicate name '" + kc.name + "'");
    ApiKey key;
    key.name = kc.name;
    if (!common::parse_sha256_hex(kc.sha256, key.digest)) {
      throw std::invalid_argument("auth.keys '" + kc.name +
                                  "': sha256 must be 64 hex digits (run `corral hash-key`)");
    }
    if (!digests.insert(std::string(key.digest.begin(), key.digest.end())).second) {
      throw std::invalid_argument("auth.keys '" + kc.name + "': same sha256 as another key");
    }
    if (kc.limits.requests.requests > 0 && kc.limits.requests.interval.count() <= 0) {
      throw std::invalid_argument("auth.keys '" + kc.name + "': limits.interval must be > 0");
    }
    key.role = kc.role;
    key.allowed_pools = kc.allowed_pools;
    for (const auto& m : kc.allowed_models) {
      std::string lower = m;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      key.allowed_models.push_back(std::move(lower));
    }
    key.limits = kc.limits;
    keys_.push_back(std::move(key));
  }
}

AuthResult KeyStore::authenticate(std::string_view header, std::string_view x_api_key) const {
  if (!enabled_) return {AuthResult::Status::kOk, nullptr};
  const bool has_bearer = header.find_first_not_of(" \t") != std::string_view::npos;
  const bool has_api_key = x_api_key.find_first_not_of(" \t") != std::string_view::npos;
  if (!has_bearer && !has_api_key) return {AuthResult::Status::kNoKey, nullptr};
  const std::string_view from_bearer = has_bearer ? bearer_token(header) : std::string_view{};
  const std::string_view from_api_key = has_api_key ? api_key_token(x_api_key) : std::string_view{};
  // Both are the client's own text, so comparing them needs no constant time.
  if (has_bearer && has_api_key && from_bearer != from_api_key) return {AuthResult::Status::kConflict, nullptr};
  const std::string_view token = has_bearer ? from_bearer : from_api_key;
  if (token.empty()) return {AuthResult::Status::kBadKey, nullptr};

  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  // Every digest is compared, even after a match: an early exit would make the answer time depend on the
  // matching key's position. CRYPTO_memcmp's time depends on the length only, never on where bytes differ.
  // The selection below is a conditional move in effect; digests are unique, so at most one matches.
  const ApiKey* found = nullptr;
  for (const auto& key : keys_) {
    const bool equal = CRYPTO_memcmp(digest, key.digest.data(), key.digest.size()) == 0;
    found = equal ? &key : found;
  }
  if (found == nullptr) return {AuthResult::Status::kBadKey, nullptr};
  return {AuthResult::Status::kOk, found};
}

bool KeyStore::authorize(const ApiKey* key, std::string_view pool, std::string_view model_key) {
  if (key == nullptr) return true;
  const auto pool_ok = key->allowed_pools.empty() ||
                       std::any_of(key->allowed_pools.begin(), key->allowed_pools.end(),
                                   [&](const std::string& p) { return routing::glob_match(p, pool); });
  if (!pool_ok) return false;
  if (key->allowed_models.empty() || model_key.empty()) return true;
  return std::any_of(key->allowed_models.begin(), key->allowed_models.end(),
                     [&](const std::string& p) { return model_allowed(p, model_key); });
}

const ApiKey* KeyStore::find(std::string_view name) const {
  for (const auto& key : keys_) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

}  // namespace corral::auth
