// Access-log lines are JSON with the documented fields (escaped peer text stays one line), the level
// filters by status, and a file destination receives exactly the lines written.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "observe/access_log.hpp"

namespace corral::observe {
namespace {

using namespace std::chrono_literals;

AccessEntry sample() {
  AccessEntry e;
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764000000123));
  e.request_id = "rid-1";
  e.client = "10.0.0.7";
  e.method = "POST";
  e.path = "/api/chat\"\n{injected}";
  e.endpoint = "chat";
  e.model = "llama3:8b";
  e.pool = "default";
  e.backend = "gpu-1";
  e.status = 200;
  e.retries = 1;
  e.queue_wait = 1500us;
  e.ttfb = 250ms;
  e.duration = 2s;
  e.prompt_tokens = 12;
  e.completion_tokens = 34;
  e.bytes_in = 100;
  e.bytes_out = 2000;
  return e;
}

TEST(AccessLog, LineIsOneJsonObjectWithTheFields) {
  std::string line;
  AccessLog::format(line, sample());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("time").as_string(), "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(v.at("request_id").as_string(), "rid-1");
  EXPECT_EQ(v.at("path").as_string(), "/api/chat\"\n{injected}");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_EQ(v.at("retries").as_int64(), 1);
  EXPECT_DOUBLE_EQ(v.at("queue_wait_ms").as_double(), 1.5);
  EXPECT_DOUBLE_EQ(v.at("ttfb_ms").as_double(), 250.0);
  EXPECT_DOUBLE_EQ(v.at("duration_ms").as_double(), 2000.0);
  EXPECT_EQ(v.at("completion_tokens").as_int64(), 34);
  EXPECT_EQ(v.at("bytes_out").as_int64(), 2000);
  EXPECT_FALSE(v.contains("error"));
  EXPECT_FALSE(v.contains("key"));

  AccessEntry e = sample();
  e.ttfb.reset();
  e.error = "queue_full";
  e.principal = "team-a";
  line.clear();
  AccessLog::format(line, e);
  const auto w = boost::json::parse(line).as_object();
  EXPECT_TRUE(w.at("ttfb_ms").is_null());
  EXPECT_EQ(w.at("error").as_string(), "queue_full");
  EXPECT_EQ(w.at("key").as_string(), "team-a");
}

TEST(AccessLog, LevelFiltersByStatus) {
  config::AccessLogConfig c;
  c.path = "stderr";
  c.level = config::AccessLogLevel::kWarn;
  AccessLog warn(c);
  EXPECT_FALSE(warn.wants(200));
  EXPECT_TRUE(warn.wants(404));
  EXPECT_TRUE(warn.wants(499));
  c.level = config::AccessLogLevel::kError;
  AccessLog error(c);
  EXPECT_FALSE(error.wants(404));
  EXPECT_FALSE(error.wants(499));
  EXPECT_TRUE(error.wants(503));
  c.level = config::AccessLogLevel::kOff;
  AccessLog off(c);
  EXPECT_FALSE(off.wants(500));
}

TEST(AccessLog, FileGetsEveryLineWritten) {
  const auto path = std::filesystem::temp_directory_path() / ("corral-access-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  {
    config::AccessLogConfig c;
    c.path = path.string();
    c.level = config::AccessLogLevel::kWarn;
    AccessLog log(c);
    AccessEntry e = sample();
    for (int i = 0; i < 100; ++i) {
      e.status = i % 2 ? 200 : 503;
      log.write(e);
    }
  }  // destruction writes what is buffered
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    EXPECT_EQ(boost::json::parse(line).as_object().at("status").as_int64(), 503);
  }
  EXPECT_EQ(lines, 50);
  std::filesystem::remove(path);
}

TEST(AccessLog, ConcurrentWritersLoseNoLine) {
  const auto path = std::filesystem::temp_directory_path() / ("corral-access-mt-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  {
    config::AccessLogConfig c;
    c.path = path.string();
    AccessLog log(c);
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&log, t] {
        AccessEntry e = sample();
        e.retries = static_cast<std::uint32_t>(t);
        for (int i = 0; i < kLines; ++i) log.write(e);
      });
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(log.dropped(), 0u);
  }
  std::ifstream in(path);
  int per_thread[kThreads] = {};
  for (std::string line; std::getline(in, line);) {
    ++per_thread[boost::json::parse(line).as_object().at("retries").as_int64()];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(per_thread[t], kLines) << "thread " << t;
  std::filesystem::remove(path);
}

TEST(AccessLog, UnopenableFileIsAStartupError) {
  config::AccessLogConfig c;
  c.path = std::filesystem::temp_directory_path().string();  // a directory: fopen fails (spdlog would create a missing one)
  EXPECT_THROW(AccessLog{c}, std::runtime_error);
}

}  // namespace
}  // namespace corral::observe
