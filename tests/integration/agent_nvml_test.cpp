// `corral agent` against the fake NVML (tests/fake_nvml): values come from a script file the
// test rewrites between scrapes; a missing or failing NVML is a clear error and exit code 1.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/text_file.hpp"

namespace {

using namespace corral::testing;
namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

#ifdef FAKE_NVML_DIR
const std::string kFakeNvml = std::string(FAKE_NVML_DIR) + "/libnvidia-ml.so.1";
#else
const std::string kFakeNvml;
#endif

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "corral-agent-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

// A one-endpoint stand-in for the local Ollama: answers every request with `body`.
class FakeOllama {
 public:
  explicit FakeOllama(std::string body) : body_(std::move(body)), acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      while (!stop_) {
        tcp::socket sock(io_);
        boost::system::error_code ec;
        acceptor_.accept(sock, ec);
        if (ec || stop_) break;
        beast::flat_buffer buf;
        http::request<http::string_body> req;
        http::read(sock, buf, req, ec);
        if (ec) continue;
        ++requests_;
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = req.target() == "/api/ps" ? body_ : "{}";
        res.prepare_payload();
        http::write(sock, res, ec);
      }
    });
  }
  ~FakeOllama() {
    stop_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept with one last connection.
    tcp::socket s(io_);
    s.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  std::string body_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

#define REQUIRE_FAKE_NVML() \
  if (kFakeNvml.empty()) GTEST_SKIP() << "fake NVML not built (tests/fake_nvml/fake_nvml.cpp missing at configure time)"

TEST(AgentNvml, ExportsScriptedGpusAndFollowsChanges) {
  REQUIRE_FAKE_NVML();
  TempDir dir;
  const auto script = dir / "nvml.txt";
  replace_file(script,
               "gpu total=24000000000 used=6000000000 util=35 memutil=12 name=NVIDIA A10G\n"
               "gpu total=16000000000 used=1000 name=Tesla \"T4\"\n");
  Server agent({"agent", "--listen", "127.0.0.1:0", "--nvml-lib", kFakeNvml}, {"FAKE_NVML_CONFIG=" + script.string()});
  const std::string addr = agent.address;

  auto m = http_get(addr, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(has_line(m.body, "ollama_worker_vram_used_bytes{gpu=\"0\",name=\"NVIDIA A10G\"} 6000000000")) << m.body;
  EXPECT_TRUE(has_line(m.body, "ollama_worker_vram_free_bytes{gpu=\"0\",name=\"NVIDIA A10G\"} 18000000000"));
  EXPECT_TRUE(has_line(m.body, "ollama_worker_vram_total_bytes{gpu=\"1\",name=\"Tesla \\\"T4\\\"\"} 16000000000"));
  EXPECT_TRUE(has_line(m.body, "ollama_worker_gpu_utilization_pct{gpu=\"0\",name=\"NVIDIA A10G\"} 35"));
  EXPECT_EQ(m.body.find("ollama_worker_gpu_utilization_pct{gpu=\"1\""), std::string::npos)
      << "utilisation 'not supported' must leave the series out, not report 0";
  EXPECT_TRUE(has_line(m.body, "ollama_worker_gpus 2"));
  EXPECT_TRUE(has_line(m.body, "ollama_worker_nvml_up 1"));

  replace_file(script, "gpu total=24000000000 used=20000000000 util=97 name=NVIDIA A10G\n");
  m = http_get(addr, "/metrics");
  EXPECT_TRUE(has_line(m.body, "ollama_worker_vram_used_bytes{gpu=\"0\",name=\"NVIDIA A10G\"} 20000000000")) << m.body;
  EXPECT_TRUE(has_line(m.body, "ollama_worker_gpu_utilization_pct{gpu=\"0\",name=\"NVIDIA A10G\"} 97"));
  EXPECT_TRUE(has_line(m.body, "ollama_worker_gpus 1"));
  EXPECT_EQ(m.body.find("gpu=\"1\""), std::string::npos);

  const auto j = http_get(addr, "/agent/api/gpus");
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.header("Content-Type"), "application/json");
  for (const char* field : {"\"vram_total_bytes\":24000000000", "\"vram_used_bytes\":20000000000",
                            "\"vram_free_bytes\":4000000000", "\"utilization_pct\":97", "\"name\":\"NVIDIA A10G\"",
                            "\"nvml_ok\":true", "\"ollama\":null"}) {
    EXPECT_NE(j.body.find(field), std::string::npos) << field << " in " << j.body;
  }
  EXPECT_EQ(http_get(addr, "/healthz").status, 200);
  EXPECT_EQ(http_get(addr, "/nope").status, 404);

  // The exposition passes Prometheus' own linter.
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    const auto file = dir / "agent.prom";
    std::ofstream(file) << m.body;
    const std::string cmd = "promtool check metrics < " + file.string() + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "promtool check metrics failed on:\n" << m.body;
  }
}

TEST(AgentNvml, ReportsTheLocalOllamasLoadedModels) {
  REQUIRE_FAKE_NVML();
  TempDir dir;
  const auto script = dir / "nvml.txt";
  replace_file(script, "gpu total=24000000000 used=5000000000 util=10 name=L4\n");
  FakeOllama ollama(R"({"models":[{"name":"llama3:8b","model":"llama3:8b","size":5137025024,)"
                    R"("size_vram":4900000000,"expires_at":"2026-01-01T00:05:00Z"}]})");
  Server agent({"agent", "--listen", "127.0.0.1:0", "--nvml-lib", kFakeNvml, "--ollama", ollama.url()},
               {"FAKE_NVML_CONFIG=" + script.string()});
  const std::string addr = agent.address;
  const auto m = http_get(addr, "/metrics");
  EXPECT_TRUE(has_line(m.body, "ollama_worker_ollama_up 1")) << m.body;
  EXPECT_TRUE(has_line(m.body, "ollama_worker_loaded_models 1"));
  EXPECT_TRUE(has_line(m.body, "ollama_worker_model_vram_bytes{model=\"llama3:8b\"} 4900000000"));
  const auto j = http_get(addr, "/agent/api/gpus");
  EXPECT_NE(j.body.find(R"("loaded_models":[{"name":"llama3:8b","size_bytes":5137025024,"vram_bytes":4900000000)"),
            std::string::npos)
      << j.body;
  EXPECT_GE(ollama.requests(), 2);
}

TEST(AgentNvml, MissingLibraryIsAClearErrorAndExitCode1) {
  Process agent(corral_binary(), {"agent", "--listen", "127.0.0.1:0", "--nvml-lib", "/nonexistent/libnvidia-ml.so.1"});
  EXPECT_EQ(agent.read_line(), std::nullopt);  // no address: stdout closed at the exit
  EXPECT_EQ(agent.wait(), 1);
  const std::string err = agent.stderr_text();
  EXPECT_NE(err.find("cannot load NVML from '/nonexistent/libnvidia-ml.so.1'"), std::string::npos) << err;
  EXPECT_NE(err.find("--nvml-lib"), std::string::npos) << err;
}

TEST(AgentNvml, FailingInitIsAClearErrorAndExitCode1) {
  REQUIRE_FAKE_NVML();
  TempDir dir;
  const auto script = dir / "nvml.txt";
  replace_file(script, "init_error=9\n");
  const auto r = run_corral({"agent", "--listen", "127.0.0.1:0", "--nvml-lib", kFakeNvml},
                            {"FAKE_NVML_CONFIG=" + script.string()});
  EXPECT_EQ(r.exit_code, 1);
  const std::string& err = r.stderr_text;
  EXPECT_NE(err.find("nvmlInit_v2 failed: Driver Not Loaded (9)"), std::string::npos) << err;
}

}  // namespace
