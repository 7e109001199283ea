#include "auth/key_store.hpp"

#include <gtest/gtest.h>

#include "app/hash_key.hpp"

namespace corral::auth {
namespace {

config::ApiKeyConfig key(std::string name, std::string_view secret, config::Role role = config::Role::kUser) {
  config::ApiKeyConfig k;
  k.name = std::move(name);
  k.sha256 = app::sha256_hex(secret);
  k.role = role;
  return k;
}

config::AuthConfig two_keys() {
  config::AuthConfig c;
  c.keys.push_back(key("alice", "sk-alice"));
  c.keys.push_back(key("ops", "sk-ops", config::Role::kAdmin));
  return c;
}

TEST(BearerToken, ParsesSchemeCaseInsensitivelyAndTrims) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(bearer_token("BEARER\tabc"), "abc");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
  EXPECT_EQ(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), "");
  EXPECT_EQ(bearer_token("Bearer a b"), "");
}

TEST(KeyStore, FindsTheMatchingKey) {
  const KeyStore store(two_keys());
  ASSERT_TRUE(store.enabled());
  const auto r = store.authenticate("Bearer sk-ops");
  ASSERT_EQ(r.status, AuthResult::Status::kOk);
  ASSERT_NE(r.key, nullptr);
  EXPECT_EQ(r.key->name, "ops");
  EXPECT_TRUE(r.key->is_admin());
  EXPECT_EQ(store.authenticate("Bearer sk-alice").key->name, "alice");
}

TEST(KeyStore, MissingAndWrongKeys) {
  const KeyStore store(two_keys());
  EXPECT_EQ(store.authenticate("").status, AuthResult::Status::kNoKey);
  EXPECT_EQ(store.authenticate("  ").status, AuthResult::Status::kNoKey);
  EXPECT_EQ(store.authenticate("Bearer sk-mallory").status, AuthResult::Status::kBadKey);
  EXPECT_EQ(store.authenticate("Bearer sk-alic").status, AuthResult::Status::kBadKey);
  EXPECT_EQ(store.authenticate("Basic sk-alice").status, AuthResult::Status::kBadKey);
  // The digest itself is not a key.
  EXPECT_EQ(store.authenticate("Bearer " + app::sha256_hex("sk-alice")).status, AuthResult::Status::kBadKey);
  EXPECT_EQ(store.authenticate("Bearer sk-alice").key->name, "alice");
}

// Anthropic's clients send the key in x-api-key; both fields together must name the same key.
TEST(KeyStore, TheKeyMayComeFromXApiKey) {
  const KeyStore store(two_keys());
  auto r = store.authenticate("", "sk-alice");
  ASSERT_EQ(r.status, AuthResult::Status::kOk);
  EXPECT_EQ(r.key->name, "alice");
  EXPECT_EQ(store.authenticate("", "  sk-ops\t").key->name, "ops");
  EXPECT_EQ(store.authenticate("", "sk-mallory").status, AuthResult::Status::kBadKey);
  EXPECT_EQ(store.authenticate("", "sk-alice sk-ops").status, AuthResult::Status::kBadKey);
  EXPECT_EQ(store.authenticate("", "Bearer sk-alice").status, AuthResult::Status::kBadKey);  // a key, not a scheme
  EXPECT_EQ(store.authenticate("", " ").status, AuthResult::Status::kNoKey);
  EXPECT_EQ(store.authenticate(" ", "").status, AuthResult::Status::kNoKey);
  // Both, the same key: fine (an SDK may add a Bearer header of its own).
  r = store.authenticate("Bearer sk-alice", "sk-alice");
  ASSERT_EQ(r.status, AuthResult::Status::kOk);
  EXPECT_EQ(r.key->name, "alice");
  // Both, different: refused, whichever of them is valid; a blank one does not count as sent.
  EXPECT_EQ(store.authenticate("Bearer sk-alice", "sk-ops").status, AuthResult::Status::kConflict);
  EXPECT_EQ(store.authenticate("Bearer sk-mallory", "sk-ops").status, AuthResult::Status::kConflict);
  EXPECT_EQ(store.authenticate("Basic sk-ops", "sk-ops").status, AuthResult::Status::kConflict);
  EXPECT_EQ(store.authenticate("Bearer sk-ops", "").key->name, "ops");
  EXPECT_EQ(store.authenticate("", "sk-ops").key->name, "ops");
  // With auth off nothing is checked.
  EXPECT_TRUE(KeyStore().authenticate("Bearer a", "b").ok());
}

TEST(ApiKeyToken, TrimsAndRefusesInnerWhitespace) {
  EXPECT_EQ(api_key_token(" sk-1 "), "sk-1");
  EXPECT_EQ(api_key_token("sk 1"), "");
  EXPECT_EQ(api_key_token(""), "");
}

TEST(KeyStore, UpperCaseDigestIsAccepted) {
  config::AuthConfig c;
  c.keys.push_back(key("a", "secret"));
  for (auto& ch : c.keys[0].sha256) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(KeyStore(c).authenticate("Bearer secret").ok());
}

TEST(KeyStore, DisabledLetsEveryoneInWithoutAKey) {
  config::AuthConfig c = two_keys();
  c.enabled = false;
  const KeyStore store(c);
  const auto r = store.authenticate("");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.key, nullptr);
  EXPECT_TRUE(KeyStore::authorize(r.key, "any", "llama3:latest"));
  EXPECT_FALSE(KeyStore::may_manage(r.key));
  EXPECT_TRUE(KeyStore().authenticate("Bearer whatever").ok());
}

TEST(KeyStore, RejectsBadConfig) {
  config::AuthConfig dup_name = two_keys();
  dup_name.keys[1].name = "alice";
  EXPECT_THROW(KeyStore{dup_name}, std::invalid_argument);
  config::AuthConfig dup_digest = two_keys();
  dup_digest.keys[1].sha256 = dup_digest.keys[0].sha256;
  EXPECT_THROW(KeyStore{dup_digest}, std::invalid_argument);
  config::AuthConfig bad_hex = two_keys();
  bad_hex.keys[0].sha256 = "xyz";
  EXPECT_THROW(KeyStore{bad_hex}, std::invalid_argument);
  bad_hex.keys[0].sha256 = std::string(63, 'a') + "g";
  EXPECT_THROW(KeyStore{bad_hex}, std::invalid_argument);
  config::AuthConfig no_name = two_keys();
  no_name.keys[0].name.clear();
  EXPECT_THROW(KeyStore{no_name}, std::invalid_argument);
}

TEST(KeyStore, AuthorizeChecksPoolsAndModels) {
  config::AuthConfig c;
  auto k = key("team", "sk-team");
  k.allowed_pools = {"gpu-*"};
  k.allowed_models = {"llama3", "Qwen2.5:7B", "hf.co/org/*"};
  c.keys.push_back(k);
  const KeyStore store(c);
  const ApiKey* team = store.authenticate("Bearer sk-team").key;
  ASSERT_NE(team, nullptr);
  EXPECT_TRUE(KeyStore::authorize(team, "gpu-a", "llama3:latest"));
  EXPECT_TRUE(KeyStore::authorize(team, "gpu-a", "llama3:70b"));  // no tag in the pattern: any tag
  EXPECT_FALSE(KeyStore::authorize(team, "gpu-a", "llama3.1:8b"));
  EXPECT_TRUE(KeyStore::authorize(team, "gpu-a", "qwen2.5:7b"));   // case-insensitive, tag exact
  EXPECT_FALSE(KeyStore::authorize(team, "gpu-a", "qwen2.5:14b"));
  EXPECT_TRUE(KeyStore::authorize(team, "gpu-b", "hf.co/org/repo:q4"));
  EXPECT_FALSE(KeyStore::authorize(team, "cpu", "llama3:latest"));  // pool not allowed
  EXPECT_TRUE(KeyStore::authorize(team, "gpu-a", ""));              // no model named: pool only
  EXPECT_FALSE(KeyStore::may_manage(team));

  const KeyStore open(two_keys());
  const ApiKey* alice = open.authenticate("Bearer sk-alice").key;
  EXPECT_TRUE(KeyStore::authorize(alice, "anything", "any:model"));
  EXPECT_TRUE(KeyStore::may_manage(open.authenticate("Bearer sk-ops").key));
}

TEST(KeyStore, ManyKeysEachFound) {
  config::AuthConfig c;
  for (int i = 0; i < 50; ++i) c.keys.push_back(key("k" + std::to_string(i), "secret-" + std::to_string(i)));
  const KeyStore store(c);
  for (int i = 0; i < 50; ++i) {
    const auto r = store.authenticate("Bearer secret-" + std::to_string(i));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.key->name, "k" + std::to_string(i));
  }
  EXPECT_EQ(store.find("k7"), &store.keys()[7]);
  EXPECT_EQ(store.find("nope"), nullptr);
}

}  // namespace
}  // namespace corral::auth
