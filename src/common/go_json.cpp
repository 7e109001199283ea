#include "common/go_json.hpp"

#include <cstdio>
#include <ctime>

namespace corral::gojson {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u(std::string& out, unsigned code) {
  out += "\\u00";
  out += kHex[(code >> 4) & 0xF];
  out += kHex[code & 0xF];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;
    if (b0 == 0xF4 && b1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

std::string rfc3339(std::chrono::system_clock::time_point t, bool utc) {
  using namespace std::chrono;
  const auto ns_total = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns_total / 1000000000);
  long frac = static_cast<long>(ns_total % 1000000000);
  if (frac < 0) { frac += 1000000000; --secs; }
  std::tm tm{};
  if (utc) gmtime_r(&secs, &tm); else localtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09ld", frac);
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  if (utc || tm.tm_gmtoff == 0) {
    out += utc ? "Z" : "Z";
  } else {
    const long off = tm.tm_gmtoff;
    const long a = off < 0 ? -off : off;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
    out += buf;
  }
  return out;
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': case '>': case '&': append_u(out, c); break;
        default:
          if (c < 0x20) append_u(out, c); else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(s, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) are escaped by Go for JSONP safety.
    if (len == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  out += '"';
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_string(out, s);
  return out;
}

std::string error_body(std::string_view message) {
  std::string out = "{\"error\":";
  append_string(out, message);
  out += '}';
  return out;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) { return rfc3339(t, true); }
std::string rfc3339_local(std::chrono::system_clock::time_point t) { return rfc3339(t, false); }

}  // namespace corral::gojson
