// Configuration errors name file:line:column: check-config exits 1 and so does serve; a valid file passes.
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

TEST(GatewayConfigErrors, PositionsAndExitCodes) {
  const auto bad = write_temp("listen: 127.0.0.1:0\npools:\n  - name: p\n    backends:\n      - url: http://127.0.0.1:1\nretriez: 3\n");
  auto r = run_corral({"check-config", "-c", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find(bad + ":6:1"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("retriez"), std::string::npos) << r.stderr_text;
  r = run_corral({"serve", "-c", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find(bad + ":6:1"), std::string::npos) << r.stderr_text;

  const auto wrong_type = write_temp("pools:\n  - name: p\n    policy: fastest\n    backends:\n      - url: http://127.0.0.1:1\n");
  r = run_corral({"check-config", "-c", wrong_type});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.stderr_text.find(wrong_type + ":3:"), std::string::npos) << r.stderr_text;

  const auto good = write_temp("pools:\n  - name: p\n    backends:\n      - url: http://127.0.0.1:1\n");
  r = run_corral({"check-config", "-c", good});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
}

}  // namespace
}  // namespace corral::testing
