// SIGHUP reloads the configuration under load without a failed request: new requests follow the new
// file, requests in flight finish. A bad file is refused (the old configuration stays); the admin
// listener's reload call reports the same.
#include <atomic>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

std::string config_with(const Server& backend, const std::string& admin) {
  return "listen: 127.0.0.1:0\nthreads: 2\nadmin:\n  listen: " + admin + "\npools:\n  - name: p\n    backends:\n      - url: " +
         backend.url() + "\n";
}

TEST(GatewayReload, SighupUnderLoadLosesNothing) {
  auto a = start_sim({"llama3:8b=1GB"});
  auto b = start_sim({"llama3:8b=1GB"});
  // The admin listener on another loopback address: the loader refuses two identical listen strings.
  const auto path = write_temp(config_with(a, "127.0.0.2:0"));
  Server gw({"serve", "-c", path});
  const std::string admin = gw.admin_address();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> load;
  for (int i = 0; i < 3; ++i) {
    load.emplace_back([&] {
      while (!stop) {
        try {
          const auto r = http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 2));
          (r.status == 200 ? ok : failed).fetch_add(1);
        } catch (const std::exception&) {
          failed.fetch_add(1);
        }
      }
    });
  }
  ASSERT_TRUE(poll_until([&] { return ok.load() > 10; }));
  std::ofstream(path) << config_with(b, "127.0.0.2:0");
  gw.process->signal(SIGHUP);
  ASSERT_TRUE(poll_until([&] { return stat(b, "requests") > 5; }));
  // A broken file is refused: traffic keeps flowing to b.
  std::ofstream(path) << "pools: [\n";
  gw.process->signal(SIGHUP);
  const auto reload = http_request(admin, "POST", "/corral/api/reload");
  EXPECT_EQ(reload.status, 400);
  EXPECT_NE(reload.body.find("\"error\""), std::string::npos);
  const auto before = stat(b, "requests");
  ASSERT_TRUE(poll_until([&] { return stat(b, "requests") > before + 5; }));
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(failed.load(), 0);
  // The admin call applies a good file too.
  std::ofstream(path) << config_with(a, "127.0.0.2:0");
  EXPECT_EQ(http_request(admin, "POST", "/corral/api/reload").status, 200);
  const auto a_before = stat(a, "requests");
  ASSERT_EQ(http_request(gw.address, "POST", "/api/generate", generate_body("llama3:8b", 1)).status, 200);
  EXPECT_EQ(stat(a, "requests"), a_before + 1);
}

}  // namespace
}  // namespace corral::testing
