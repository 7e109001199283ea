// stream_probe: opens many concurrent streaming /api/generate requests and measures, per chunk,
// how long the chunk took from the simulator (its `created_at` stamp, wall clock, same machine)
// to this client, and whether chunks arrived batched (several NDJSON lines in one read).
//
// Used by bench/bench.py for scenario 3 (per-chunk added delay at N streams) and scenario 4
// (idle open streams: `--hold` keeps the streams open after their headers arrive, for an RSS
// reading, until stdin closes).
//
//   stream_probe --target 127.0.0.1:8080 --streams 1000 --tokens 40 [--model m] [--hold]
//
// Prints one JSON object on stdout at the end.
#include <boost/asio.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  int streams = 100;
  int tokens = 40;
  std::string model = "bench:1b";
  bool hold = false;
};

// Chunks made further apart than this that arrive in one read were held back on the way (1 ms: a
// stream at 10 tokens/s makes its chunks 100 ms apart, its last token and done object microseconds apart).
constexpr std::int64_t kHeldBackNs = 1'000'000;

struct Totals {
  std::vector<double> delays_us;  // arrival - created_at, per chunk
  long chunks = 0;
  long reads = 0;
  long batched_reads = 0;  // reads that completed more than one line
  // Batched reads whose lines were made more than kHeldBackNs apart by the simulator: an earlier chunk
  // that waited for a later one on the way. Chunks made together (a stream's last token and its done
  // object, written back to back) reach any client together; those are batched but not held back.
  long held_back_reads = 0;
  int finished = 0;
  int failed = 0;
  int headers_seen = 0;
};

// Parses "2026-11-23T07:47:41.123456789Z" (UTC, fraction optional) into ns since the epoch.
bool parse_created_at(std::string_view s, std::int64_t& ns_out) {
  if (s.size() < 20) return false;
  std::tm tm{};
  auto num = [&](std::size_t pos, std::size_t len, int& v) {
    return std::from_chars(s.data() + pos, s.data() + pos + len, v).ec == std::errc{};
  };
  int Y, M, D, h, m, sec;
  if (!num(0, 4, Y) || !num(5, 2, M) || !num(8, 2, D) || !num(11, 2, h) || !num(14, 2, m) || !num(17, 2, sec))
    return false;
  tm.tm_year = Y - 1900; tm.tm_mon = M - 1; tm.tm_mday = D; tm.tm_hour = h; tm.tm_min = m; tm.tm_sec = sec;
  std::int64_t ns = static_cast<std::int64_t>(timegm(&tm)) * 1000000000LL;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int64_t frac = 0;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) { frac = frac * 10 + (s[i] - '0'); ++digits; }
      ++i;
    }
    while (digits < 9) { frac *= 10; ++digits; }
    ns += frac;
  }
  ns_out = ns;
  return true;
}

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(net::io_context& io, const Options& o, Totals& t, tcp::endpoint ep)
      : socket_(io), opts_(o), totals_(t), ep_(ep) {}

  void start() {
    socket_.async_connect(ep_, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->fail();
      self->socket_.set_option(tcp::no_delay(true));
      self->send();
    });
  }

  void close() { boost::system::error_code ec; socket_.close(ec); }

 private:
  void send() {
    const std::string body = "{\"model\":\"" + opts_.model + "\",\"prompt\":\"bench\",\"stream\":true,"
                             "\"options\":{\"num_predict\":" + std::to_string(opts_.tokens) + "}}";
    request_ = "POST /api/generate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    net::async_write(socket_, net::buffer(request_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->read();
    });
  }

  void read() {
    socket_.async_read_some(net::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) return self->done(ec == net::error::eof && self->saw_done_);
      self->on_bytes(n);
      if (!self->saw_done_) self->read(); else self->done(true);
    });
  }

  void on_bytes(std::size_t n) {
    const auto now_ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
    pending_.append(buf_.data(), n);
    if (!headers_done_) {
      const auto end = pending_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      headers_done_ = true;
      ++totals_.headers_seen;
      chunked_ = pending_.find("chunked") < end;
      pending_.erase(0, end + 4);
    }
    ++totals_.reads;
    // Count complete NDJSON lines that this read completed. Chunk-size lines of the chunked
    // framing are skipped: a JSON line starts with '{'.
    int lines = 0;
    std::int64_t first_created = 0;
    std::int64_t last_created = 0;
    std::size_t pos;
    while ((pos = pending_.find('\n')) != std::string::npos) {
      std::string_view line(pending_.data(), pos);
      if (!line.empty() && line.front() == '{') {
        ++lines;
        const auto key = line.find("\"created_at\":\"");
        std::int64_t created = 0;
        if (key != std::string_view::npos) {
          const auto start = key + 14;
          const auto stop = line.find('"', start);
          if (stop != std::string_view::npos && parse_created_at(line.substr(start, stop - start), created)) {
            totals_.delays_us.push_back(static_cast<double>(now_ns - created) / 1e3);
            if (first_created == 0) first_created = created;
            last_created = created;
          }
        }
        ++totals_.chunks;
        if (line.find("\"done\":true") != std::string_view::npos) saw_done_ = true;
      }
      pending_.erase(0, pos + 1);
    }
    if (lines > 1) ++totals_.batched_reads;
    if (lines > 1 && last_created - first_created > kHeldBackNs) ++totals_.held_back_reads;
  }

  void done(bool ok) {
    if (finished_) return;
    finished_ = true;
    if (ok) ++totals_.finished; else ++totals_.failed;
  }

  void fail() { done(false); }

  tcp::socket socket_;
  const Options& opts_;
  Totals& totals_;
  tcp::endpoint ep_;
  std::string request_;
  std::array<char, 16384> buf_{};
  std::string pending_;
  bool headers_done_ = false;
  bool chunked_ = false;
  bool saw_done_ = false;
  bool finished_ = false;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--target") {
      auto t = next();
      auto colon = t.rfind(':');
      o.host = t.substr(0, colon);
      o.port = t.substr(colon + 1);
    } else if (a == "--streams") o.streams = std::stoi(next());
    else if (a == "--tokens") o.tokens = std::stoi(next());
    else if (a == "--model") o.model = next();
    else if (a == "--hold") o.hold = true;
    else { std::fprintf(stderr, "unknown argument %s\n", a.c_str()); return 2; }
  }
  net::io_context io;
  tcp::resolver resolver(io);
  const auto ep = *resolver.resolve(o.host, o.port).begin();
  Totals totals;
  std::vector<std::shared_ptr<Stream>> streams;
  streams.reserve(static_cast<std::size_t>(o.streams));
  for (int i = 0; i < o.streams; ++i) {
    streams.push_back(std::make_shared<Stream>(io, o, totals, ep.endpoint()));
    streams.back()->start();
  }
  if (o.hold) {
    // Run until every stream has its headers, report, then wait for stdin to close.
    while (totals.headers_seen + totals.failed < o.streams) io.run_one();
    std::printf("{\"open\":%d,\"failed\":%d}\n", totals.headers_seen, totals.failed);
    std::fflush(stdout);
    std::string line;
    std::getline(std::cin, line);
    for (auto& s : streams) s->close();
    return 0;
  }
  io.run();
  const double p50 = percentile(totals.delays_us, 50);
  const double p99 = percentile(totals.delays_us, 99);
  std::printf("{\"streams\":%d,\"finished\":%d,\"failed\":%d,\"chunks\":%ld,\"reads\":%ld,"
              "\"batched_reads\":%ld,\"held_back_reads\":%ld,\"delay_p50_us\":%.1f,\"delay_p99_us\":%.1f}\n",
              o.streams, totals.finished, totals.failed, totals.chunks, totals.reads, totals.batched_reads,
              totals.held_back_reads, p50, p99);
  return totals.failed == 0 ? 0 : 1;
}
