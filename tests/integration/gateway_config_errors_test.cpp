// Configuration errors name file:line:column: check-config exits 1 and so does serve; a valid file passes.
#include "integration/gateway_harness.hpp"

namespace corral::gwtest {
namespace {

int run_with_stderr(const std::vector<std::string>& args, std::string& err) {
  const std::string err_path = write_temp("", ".err");
  std::string cmd = std::string(CORRAL_BINARY);
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >/dev/null 2>" + err_path;
  const int st = std::system(cmd.c_str());
  std::ifstream in(err_path);
  err.assign(std::istreambuf_iterator<char>(in), {});
  return WEXITSTATUS(st);
}

TEST(GatewayConfigErrors, PositionsAndExitCodes) {
  const auto bad = write_temp("listen: 127.0.0.1:0\npools:\n  - name: p\n    backends:\n      - url: http://127.0.0.1:1\nretriez: 3\n");
  std::string err;
  EXPECT_EQ(run_with_stderr({"check-config", "-c", bad}, err), 1);
  EXPECT_NE(err.find(bad + ":6:1"), std::string::npos) << err;
  EXPECT_NE(err.find("retriez"), std::string::npos) << err;
  EXPECT_EQ(run_with_stderr({"serve", "-c", bad}, err), 1);
  EXPECT_NE(err.find(bad + ":6:1"), std::string::npos) << err;

  const auto wrong_type = write_temp("pools:\n  - name: p\n    policy: fastest\n    backends:\n      - url: http://127.0.0.1:1\n");
  EXPECT_EQ(run_with_stderr({"check-config", "-c", wrong_type}, err), 1);
  EXPECT_NE(err.find(wrong_type + ":3:"), std::string::npos) << err;

  const auto good = write_temp("pools:\n  - name: p\n    backends:\n      - url: http://127.0.0.1:1\n");
  EXPECT_EQ(run_with_stderr({"check-config", "-c", good}, err), 0) << err;
}

}  // namespace
}  // namespace corral::gwtest
