#include "sim/wire_format.hpp"

#include <charconv>
#include <ctime>

namespace corral::sim {
namespace {

void append_uint(std::string& out, std::size_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

// Seconds-resolution pieces that change once a second: cached per thread, rebuilt on change.
struct SecondCache {
  std::time_t second = -1;
  char date[40] = {};
  std::size_t date_len = 0;
  char stamp[24] = {};  // "2006-01-02T15:04:05"
  std::size_t stamp_len = 0;

  void refresh(std::time_t now) {
    if (now == second) return;
    second = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    date_len = std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    stamp_len = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  }
};

thread_local SecondCache cache;

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

void append_head(std::string& out, int status, std::string_view content_type, std::optional<std::size_t> content_length,
                 bool close, std::string_view extra_headers) {
  out += "HTTP/1.1 ";
  append_uint(out, static_cast<std::size_t>(status));
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: ";
    out += content_type;
    out += "\r\n";
  }
  out += "Date: ";
  out += http_date();
  out += "\r\n";
  out += extra_headers;
  if (content_length) {
    out += "Content-Length: ";
    append_uint(out, *content_length);
    out += "\r\n";
  } else {
    out += "Transfer-Encoding: chunked\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
}

void append_chunk(std::string& out, std::string_view data) {
  char buf[20];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, data.size(), 16);
  out.append(buf, p);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

std::string_view http_date() {
  cache.refresh(std::time(nullptr));
  return {cache.date, cache.date_len};
}

void append_rfc3339_utc(std::string& out, std::chrono::system_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long frac = static_cast<long>(ns % 1'000'000'000);
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  cache.refresh(secs);
  out.append(cache.stamp, cache.stamp_len);
  if (frac != 0) {
    char digits[10];
    for (int i = 8; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int n = 9;
    while (digits[n - 1] == '0') --n;
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  }
  out += 'Z';
}

}  // namespace corral::sim
