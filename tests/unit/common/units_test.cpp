#include "common/units.hpp"

#include <gtest/gtest.h>

using namespace corral::units;
using namespace std::chrono_literals;

TEST(ParseSize, DecimalAndBinaryUnits) {
  EXPECT_EQ(parse_size("4.7GB"), 4'700'000'000ULL);
  EXPECT_EQ(parse_size("400MB"), 400'000'000ULL);
  EXPECT_EQ(parse_size("24GiB"), 24ULL * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_size("512 MiB"), 512ULL * 1024 * 1024);
  EXPECT_EQ(parse_size("1KiB"), 1024ULL);
  EXPECT_EQ(parse_size("1kb"), 1000ULL);
  EXPECT_EQ(parse_size("123"), 123ULL);
  EXPECT_EQ(parse_size("10B"), 10ULL);
}

TEST(ParseSize, RejectsJunk) {
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("GB"));
  EXPECT_FALSE(parse_size("-1GB"));
  EXPECT_FALSE(parse_size("4.7 XB"));
  EXPECT_FALSE(parse_size("1e30"));
  EXPECT_FALSE(parse_size("99999999999TB"));
}

TEST(ParseGoDuration, FollowsGo) {
  EXPECT_EQ(parse_go_duration("5m"), 5min);
  EXPECT_EQ(parse_go_duration("1h30m"), 90min);
  EXPECT_EQ(parse_go_duration("300ms"), 300ms);
  EXPECT_EQ(parse_go_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_go_duration("-1m"), -1min);
  EXPECT_EQ(parse_go_duration("0"), 0ns);
  EXPECT_EQ(parse_go_duration("0s"), 0ns);
  EXPECT_EQ(parse_go_duration("10us"), 10us);
  EXPECT_FALSE(parse_go_duration("300"));  // Go: missing unit in duration
  EXPECT_FALSE(parse_go_duration("5x"));
  EXPECT_FALSE(parse_go_duration(""));
  EXPECT_FALSE(parse_go_duration("m"));
}

TEST(ParseDuration, AcceptsBareSeconds) {
  EXPECT_EQ(parse_duration("300"), 300s);
  EXPECT_EQ(parse_duration("1.5"), 1500ms);
  EXPECT_EQ(parse_duration("-1"), -1s);
  EXPECT_EQ(parse_duration("30m"), 30min);
  EXPECT_FALSE(parse_duration("forever"));
}

TEST(FormatGoDuration, MatchesGoStrings) {
  EXPECT_EQ(format_go_duration(0ns), "0s");
  EXPECT_EQ(format_go_duration(90min), "1h30m0s");
  EXPECT_EQ(format_go_duration(1500ms), "1.5s");
  EXPECT_EQ(format_go_duration(300ms), "300ms");
  EXPECT_EQ(format_go_duration(5min), "5m0s");
}

TEST(FormatSize, UsesBinaryUnits) {
  EXPECT_EQ(format_size(512), "512 B");
  EXPECT_EQ(format_size(24ULL * 1024 * 1024 * 1024), "24.0 GiB");
}
