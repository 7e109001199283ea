// Replays tests/corpus/requests/*.http (malformed and smuggling requests plus legal controls; see
// tests/corpus/make_requests.py) raw over a socket to a real gateway in front of a real simulator. For
// each file: the status of the first answer, and how many inference requests the simulator saw (0 for
// every refused one: nothing ambiguous is ever forwarded). The gateway must still answer afterwards.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fleet.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sim.hpp"
#include "support/text_file.hpp"

namespace corral::testing {
namespace {

struct CorpusCase {
  std::string name;
  int status = -1;
  std::int64_t forwarded = -1;
  std::string bytes;
};

std::vector<CorpusCase> load_corpus(const std::filesystem::path& dir) {
  std::vector<CorpusCase> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".http") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CorpusCase c;
    c.name = entry.path().filename().string();
    const auto nl = text.find('\n');
    if (nl != std::string::npos && std::sscanf(text.substr(0, nl).c_str(), "expect %d forwarded %ld", &c.status, &c.forwarded) == 2) {
      c.bytes = text.substr(nl + 1);
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

int first_status(const std::string& answer) {
  if (!answer.starts_with("HTTP/1.")) return 0;
  return std::atoi(answer.c_str() + 9);
}

TEST(CorpusRequests, EachHasItsStatusAndForwardedCount) {
  const auto corpus = load_corpus(std::filesystem::path(CORRAL_SOURCE_DIR) / "tests/corpus/requests");
  ASSERT_GE(corpus.size(), 40u);
  auto sim = start_sim({"llama3:8b=1GB"});
  const std::string config = "listen: 127.0.0.1:0\nthreads: 2\npools:\n  - name: p\n    backends:\n      - url: " +
                             sim.url() + "\ntimeouts:\n  client_header: 2s\n  client_body: 2s\n";
  Server gw({"serve", "-c", write_temp(config)});
  ASSERT_TRUE(wait_ready(gw));
  for (const CorpusCase& c : corpus) {
    SCOPED_TRACE(c.name);
    ASSERT_GE(c.status, 0) << "first line must be `expect STATUS forwarded N`";
    const auto before = stat(sim, "requests");
    HttpConnection client(gw.address);
    client.send_raw(c.bytes);
    const std::string answer = client.read_until_close();  // every case ends with the connection closed
    EXPECT_EQ(first_status(answer), c.status) << answer.substr(0, 200);
    EXPECT_EQ(stat(sim, "requests") - before, c.forwarded);
  }
  EXPECT_EQ(http_request(gw.address, "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace corral::testing
