#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

int connect_to(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("bad address " + address);
  std::string host = address.substr(0, colon);
  const int port = std::stoi(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (host == "localhost") host = "127.0.0.1";
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    throw std::runtime_error("not an IP address: " + host);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error("connect " + address + ": " + std::strerror(e));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

bool HttpResponse::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const Header& h) { return iequals(h.name, name); });
}

HttpConnection::HttpConnection(const std::string& address, std::chrono::milliseconds timeout)
    : host_(address), timeout_(timeout) {
  fd_ = connect_to(address);
}

HttpConnection::~HttpConnection() { close(); }

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void HttpConnection::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads once into in_. False on EOF. Throws on timeout unless told not to (then returns false too).
bool HttpConnection::fill(bool throw_on_timeout) {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = 0;
  do {
    r = poll(&p, 1, static_cast<int>(timeout_.count()));
  } while (r < 0 && errno == EINTR);
  if (r == 0) {
    if (throw_on_timeout) throw std::runtime_error("HTTP read timed out");
    return false;
  }
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  in_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> HttpConnection::take_line() {
  for (;;) {
    if (const auto nl = in_.find("\r\n"); nl != std::string::npos) {
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 2);
      return line;
    }
    if (!fill()) return std::nullopt;
  }
}

std::string HttpConnection::take_head_line() {
  auto line = take_line();
  if (!line) throw std::runtime_error("connection closed inside the response head");
  return *line;
}

void HttpConnection::send_request(std::string_view method, std::string_view target, std::string_view body,
                                  const Headers& headers) {
  std::string req;
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  bool has_length = false;
  bool has_type = false;
  for (const auto& h : headers) {
    has_host = has_host || iequals(h.name, "host");
    has_length = has_length || iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding");
    has_type = has_type || iequals(h.name, "content-type");
    req.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!has_host) req.append("Host: ").append(host_).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    // What Ollama's clients send; Ollama and Corral do not require it.
    if (!has_type) req.append("Content-Type: application/json\r\n");
    if (!has_length) req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);
  head_request_ = method == "HEAD";
  send_raw(req);
}

void HttpConnection::read_head(HttpResponse& out) {
  for (;;) {
    const std::string status_line = take_head_line();
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
      throw std::runtime_error("bad status line: " + status_line);
    }
    out = HttpResponse{};
    out.status = std::stoi(status_line.substr(9, 3));
    out.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    for (std::string line = take_head_line(); !line.empty(); line = take_head_line()) {
      const auto colon = line.find(':');
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      out.headers.push_back({line.substr(0, colon), value});
    }
    if (out.status != 100) {
      std::string connection = out.header("Connection");
      for (auto& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.keep_alive = status_line.compare(0, 8, "HTTP/1.0") == 0
                           ? connection.find("keep-alive") != std::string::npos
                           : connection.find("close") == std::string::npos;
      break;
    }
    // skip "100 Continue"
  }
  decoded_.clear();
  body_done_ = false;
  cut_ = false;
  if (head_request_ || out.status == 204 || out.status == 304) {
    framing_ = Framing::kNone;
    body_done_ = true;
  } else if (iequals(out.header("Transfer-Encoding"), "chunked")) {
    framing_ = Framing::kChunked;
    remaining_ = 0;
  } else if (out.has_header("Content-Length")) {
    framing_ = Framing::kLength;
    remaining_ = std::stoull(out.header("Content-Length"));
    body_done_ = remaining_ == 0;
  } else {
    framing_ = Framing::kUntilClose;
  }
}

// The next piece of body. EOF before the end of a framed body sets cut_ and ends the body there.
std::optional<std::string> HttpConnection::read_body_piece() {
  if (body_done_ || cut_) return std::nullopt;
  switch (framing_) {
    case Framing::kLength: {
      while (in_.empty()) {
        if (!fill()) {
          cut_ = true;
          return std::nullopt;
        }
      }
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in_.size()));
      std::string piece = in_.substr(0, n);
      in_.erase(0, n);
      remaining_ -= n;
      body_done_ = remaining_ == 0;
      return piece;
    }
    case Framing::kChunked: {
      const auto size_line = take_line();
      if (!size_line) {
        cut_ = true;
        return std::nullopt;
      }
      const std::uint64_t size = std::stoull(*size_line, nullptr, 16);
      if (size == 0) {
        for (auto trailer = take_line(); trailer && !trailer->empty(); trailer = take_line()) {
        }
        body_done_ = true;
        return std::nullopt;
      }
      while (in_.size() < size + 2) {
        if (!fill()) {
          cut_ = true;  // a partial chunk is not handed out
          return std::nullopt;
        }
      }
      std::string piece = in_.substr(0, size);
      in_.erase(0, size + 2);
      return piece;
    }
    case Framing::kUntilClose: {
      if (in_.empty() && !fill()) {
        body_done_ = true;
        return std::nullopt;
      }
      std::string piece = std::move(in_);
      in_.clear();
      return piece;
    }
    case Framing::kNone: break;
  }
  body_done_ = true;
  return std::nullopt;
}

void HttpConnection::read_whole_body(HttpResponse& r) {
  while (auto piece = read_body_piece()) r.body += *piece;
  if (cut_) throw std::runtime_error("connection closed inside the response body");
}

HttpResponse HttpConnection::start(std::string_view method, std::string_view target, std::string_view body,
                                   const Headers& headers) {
  send_request(method, target, body, headers);
  HttpResponse r;
  read_head(r);
  return r;
}

HttpResponse HttpConnection::request(std::string_view method, std::string_view target, std::string_view body,
                                     const Headers& headers) {
  HttpResponse r = start(method, target, body, headers);
  read_whole_body(r);
  return r;
}

HttpResponse HttpConnection::read_response() {
  head_request_ = false;
  HttpResponse r;
  read_head(r);
  read_whole_body(r);
  return r;
}

std::optional<std::string> HttpConnection::next_chunk() {
  if (!decoded_.empty()) {
    std::string rest = std::move(decoded_);
    decoded_.clear();
    return rest;
  }
  return read_body_piece();
}

std::optional<std::string> HttpConnection::next_line() {
  for (;;) {
    if (const auto nl = decoded_.find('\n'); nl != std::string::npos) {
      std::string line = decoded_.substr(0, nl);
      decoded_.erase(0, nl + 1);
      return line;
    }
    auto piece = read_body_piece();
    if (!piece) {
      if (decoded_.empty()) return std::nullopt;
      std::string rest = std::move(decoded_);
      decoded_.clear();
      return rest;
    }
    decoded_ += *piece;
  }
}

std::optional<std::string> HttpConnection::next_event() {
  for (;;) {
    if (const auto end = decoded_.find("\n\n"); end != std::string::npos) {
      std::string event = decoded_.substr(0, end);
      decoded_.erase(0, end + 2);
      return event;
    }
    auto piece = read_body_piece();
    if (!piece) return std::nullopt;
    decoded_ += *piece;
  }
}

std::string HttpConnection::read_until_close(std::chrono::milliseconds deadline) {
  const auto saved = timeout_;
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    timeout_ = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (timeout_.count() <= 0 || !fill(false)) break;
  }
  timeout_ = saved;
  std::string all = std::move(in_);
  in_.clear();
  return all;
}

bool HttpConnection::peer_closed(std::chrono::milliseconds wait) {
  const auto saved = timeout_;
  timeout_ = wait;
  bool closed = false;
  try {
    const std::size_t before = in_.size();
    closed = !fill(true) && in_.size() == before;
  } catch (const std::runtime_error&) {
    closed = false;
  }
  timeout_ = saved;
  return closed;
}

HttpResponse http_request(const std::string& address, std::string_view method, std::string_view target,
                          std::string_view body, const Headers& headers) {
  HttpConnection c(address);
  return c.request(method, target, body, headers);
}

HttpResponse http_get(const std::string& address, std::string_view target) {
  return http_request(address, "GET", target);
}

HttpResponse http_post(const std::string& address, std::string_view target, std::string_view body) {
  return http_request(address, "POST", target, body);
}

std::string raw_exchange(const std::string& address, std::string_view bytes, std::chrono::milliseconds deadline) {
  HttpConnection c(address);
  c.send_raw(bytes);
  return c.read_until_close(deadline);
}

}  // namespace corral::testing
