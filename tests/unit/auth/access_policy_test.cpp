// The access policy rides in the registry's snapshot: built with it on the control thread, rebuilt by
// every apply(), read by requests through the snapshot they loaded (so no lock), and sharing the
// snapshot's model matcher instead of building a second one. A configuration whose keys cannot be built
// is refused before anything changes.
#include "auth/access_policy.hpp"

#include <gtest/gtest.h>

#include "admission/admission_controller.hpp"
#include "app/hash_key.hpp"
#include "config/config_loader.hpp"
#include "upstream/backend_registry.hpp"

namespace corral::auth {
namespace {

config::Config config_with_keys(std::initializer_list<std::string_view> names) {
  config::Config c = config::quick_config("127.0.0.1:0", {"http://127.0.0.1:1"}, 1);
  for (std::string_view name : names) {
    config::ApiKeyConfig k;
    k.name = std::string(name);
    k.sha256 = app::sha256_hex("sk-" + std::string(name));
    c.auth.keys.push_back(std::move(k));
  }
  return c;
}

TEST(AccessPolicy, IsPartOfTheSnapshotAndSharesItsMatcher) {
  const config::Config c = config_with_keys({"alice", "bob"});
  admission::AdmissionController admission(c);
  upstream::BackendRegistry registry(c, admission);
  const upstream::SnapshotPtr snap = registry.current();
  EXPECT_EQ(snap->access.keys.keys().size(), 2u);
  EXPECT_TRUE(snap->access.keys.enabled());
  EXPECT_EQ(&snap->access.matcher, &snap->matcher);
  EXPECT_EQ(&snap->access.config, snap->config.get());
}

TEST(AccessPolicy, EveryApplyRebuildsItAndOldSnapshotsKeepTheirs) {
  const config::Config first = config_with_keys({"alice", "bob"});
  admission::AdmissionController admission(first);
  upstream::BackendRegistry registry(first, admission);
  upstream::SnapshotPtr before = registry.current();
  const std::shared_ptr<const AccessPolicy> held = upstream::access_policy_of(before);
  EXPECT_EQ(held.get(), &before->access);

  registry.apply(config_with_keys({"carol"}));
  const upstream::SnapshotPtr after = registry.current();
  ASSERT_NE(after, before);
  ASSERT_EQ(after->access.keys.keys().size(), 1u);
  EXPECT_EQ(after->access.keys.keys()[0].name, "carol");
  // A request still holding the old policy keeps the whole old snapshot, keys included.
  before.reset();
  ASSERT_EQ(held->keys.keys().size(), 2u);
  EXPECT_NE(held->keys.find("alice"), nullptr);
  EXPECT_TRUE(held->keys.authenticate("Bearer sk-bob").ok());
}

TEST(AccessPolicy, KeysThatCannotBeBuiltRefuseTheConfigurationBeforeAnythingChanges) {
  const config::Config good = config_with_keys({"alice"});
  admission::AdmissionController admission(good);
  upstream::BackendRegistry registry(good, admission);
  const upstream::SnapshotPtr before = registry.current();
  config::Config bad = config_with_keys({"alice"});
  bad.auth.keys[0].sha256 = "not-hex";
  EXPECT_THROW(registry.apply(bad), std::invalid_argument);
  EXPECT_EQ(registry.current(), before);
  EXPECT_EQ(registry.current()->generation, before->generation);
}

}  // namespace
}  // namespace corral::auth
