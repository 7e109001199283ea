// The binary's own command line: --version and --help behave as users expect.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

std::string run(const std::string& args, int* status) {
  std::string cmd = std::string(CORRAL_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  *status = pclose(p);
  return out;
}

}  // namespace

TEST(Cli, VersionPrintsName) {
  int status = 0;
  const auto out = run("--version", &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("corral "), std::string::npos) << out;
}

TEST(Cli, HelpListsSubcommands) {
  int status = 0;
  const auto out = run("--help", &status);
  EXPECT_EQ(status, 0);
  for (const char* sub : {"sim", "serve", "check-config", "hash-key"}) {
    EXPECT_NE(out.find(sub), std::string::npos) << sub << " missing in:\n" << out;
  }
}

TEST(Cli, SimHelpShowsContractFlags) {
  int status = 0;
  const auto out = run("sim --help", &status);
  EXPECT_EQ(status, 0);
  for (const char* flag : {"--listen", "--model", "--vram", "--num-parallel", "--max-queue", "--max-loaded",
                           "--load-gbps", "--tokens-per-second", "--keep-alive", "--threads", "--seed"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, HashKeyPrintsSha256) {
  int status = 0;
  const auto out = run("hash-key abc", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
}

TEST(Cli, UnknownSubcommandFails) {
  int status = 0;
  run("frobnicate", &status);
  EXPECT_NE(status, 0);
}
