#include "common/go_json.hpp"

#include <gtest/gtest.h>

using namespace corral::gojson;

TEST(GoJson, EscapesLikeEncodingJson) {
  EXPECT_EQ(quote("a<b>&c"), R"("a\u003cb\u003e\u0026c")");
  EXPECT_EQ(quote("line\nnext\t\"q\"\\"), R"("line\nnext\t\"q\"\\")");
  EXPECT_EQ(quote(std::string("\x01", 1)), R"("\u0001")");
  EXPECT_EQ(quote("\xE2\x80\xA8"), R"("\u2028")");
  EXPECT_EQ(quote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(quote("\xFF"), R"("\ufffd")");
}

TEST(GoJson, ErrorBodyHasNoTrailingNewline) {
  EXPECT_EQ(error_body("model 'x' not found"), R"({"error":"model 'x' not found"})");
}

TEST(GoJson, Rfc3339TrimsZeros) {
  using namespace std::chrono;
  const system_clock::time_point t{seconds{1691176965} + nanoseconds{499127000}};
  EXPECT_EQ(rfc3339_utc(t), "2023-08-04T19:22:45.499127Z");
  const system_clock::time_point whole{seconds{1691176965}};
  EXPECT_EQ(rfc3339_utc(whole), "2023-08-04T19:22:45Z");
}
