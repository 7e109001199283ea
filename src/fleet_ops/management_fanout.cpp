// Shape of a fan-out: one coroutine per backend (admit, exchange, read the answer line by line) and one
// merge coroutine that owns the client stream, joined by an unbuffered channel: a backend's line is
// handed over only when the merge takes it, so a slow client slows the backends' reads (no stream is
// buffered whole), and once the merge has taken every backend's end, every line is out. Both run under
// `||` with the connection's disconnect watch armed: a client that leaves cancels the attempts, whose
// upstream connections close (Ollama's only cancel signal). All of it runs on the connection's worker
// (one thread), so the per-backend records need no lock. A streamed pull queued behind another pull on
// its backend puts "waiting" lines on the same channel until its slot comes (report_waiting).
#include "fleet_ops/management_fanout.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include "common/go_json.hpp"
#include "http/error_response.hpp"
#include "http/headers.hpp"
#include "common/hash.hpp"
#include "gateway/disconnect_watch.hpp"
#include "fleet_ops/backend_admission.hpp"
#include "http/body_relay.hpp"
#include "fleet_ops/management_merge.hpp"
#include "gateway/request_context.hpp"
#include "upstream/upstream_exchange.hpp"
#include "routing/model_name.hpp"
#include "routing/request_info.hpp"
#include "upstream/backend.hpp"

namespace corral::fleet_ops {
namespace {

using namespace net::experimental::awaitable_operators;

constexpr std::size_t kMaxLine = 1 << 20;        // a progress line longer than this is not Ollama's
constexpr std::size_t kMaxAnswerBody = 64 << 10;  // a non-streamed answer is one small JSON object
// How often a streamed pull waiting for its backend's pull slot repeats its waiting line: often enough
// for the idle timeouts of proxies between the client and the gateway (commonly 30-60 s).
constexpr std::chrono::seconds kWaitingLineEvery{10};

// What one backend did.
struct BackendRun {
  std::shared_ptr<upstream::Backend> backend;
  std::uint32_t member = 0;
  int status = 0;         // the backend's HTTP status; 0 when none came
  bool ok = false;
  std::string error;      // why it failed (Ollama's text when the backend gave one)
  std::string body;       // a non-streamed answer (capped)
  std::string pending;    // a streamed answer's incomplete last line
};

// A line for the client, or (empty) the end of backend `run`.
struct MergePiece {
  std::size_t run = 0;
  std::string line;
};
using LineChannel = net::experimental::channel<void(error_code, MergePiece)>;

struct FanOut {
  gateway::ProxyContext& ctx;
  gateway::ClientRequest& req;
  const upstream::SnapshotPtr& snap;
  std::size_t pool;
  routing::Endpoint endpoint;
  // The route's row: reports_progress (pull, create: progress lines, a stream unless `stream` is false)
  // and holders_only (delete, copy: only the backends that have the model, the source).
  const routing::RouteTraits& traits;
  const routing::RequestInfo& info;  // the request's facts, read once by the connection
  std::uint64_t model_hash = 0;
  std::uint64_t destination_hash = 0;  // copy
  std::vector<BackendRun> runs;
  LineChannel channel;
  // The client's streamed answer (stream mode): written by the merge, ended by fan_out.
  http::response<http::buffer_body> res;
  http::response_serializer<http::buffer_body> sr{res};
  bool head_sent = false;
  bool client_failed = false;

  FanOut(gateway::ProxyContext& c, gateway::ClientRequest& r, const upstream::SnapshotPtr& s, std::size_t p, net::any_io_executor ex)
      : ctx(c), req(r), snap(s), pool(p), endpoint(r.route.endpoint), traits(*r.route.traits), info(r.info),
        channel(ex, 0) {}
  [[nodiscard]] const config::Config& config() const { return *snap->config; }
  [[nodiscard]] const upstream::PoolState& pool_state() const { return snap->pools[pool]; }
};

// The backends named by `X-Corral-Backend` (comma-separated names), by member index; `unknown` gets the
// first name that is no member of the pool. Empty when the header is absent.
std::vector<std::uint32_t> named_targets(const upstream::PoolState& pool, std::string_view header,
                                         std::string& unknown) {
  std::vector<std::uint32_t> out;
  for (const std::string_view name : split_names(header)) {
    bool found = false;
    for (std::uint32_t i = 0; i < pool.members.size() && !found; ++i) {
      if (pool.members[i]->backend->name != name) continue;
      found = true;
      if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
    }
    if (!found && unknown.empty()) unknown = name;
  }
  return out;
}

// Without a header: the eligible members; for delete and copy only those whose inventory may hold the
// model (a backend that lacks it has nothing to delete or copy).
std::vector<std::uint32_t> pool_targets(const FanOut& fo) {
  const upstream::PoolState& pool = fo.pool_state();
  const bool holders = fo.traits.holders_only;
  const std::int64_t now = upstream::steady_ns();
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if (!m.eligible(now)) continue;
    if (holders && !m.backend->catalog.may_have(fo.model_hash)) continue;
    out.push_back(i);
  }
  return out;
}

// One progress line of a backend's 200 stream: its error ends the backend's part (the client hears of it
// in the final line), its own `success` becomes `finished` (clients stop reading at the first `success`,
// which must be the merged one), anything else goes out tagged.
net::awaitable<bool> take_line(FanOut& fo, std::size_t i, std::string_view line) {
  BackendRun& run = fo.runs[i];
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) co_return true;
  if (auto error = error_field(line)) {
    run.error = std::move(*error);
    co_return true;
  }
  MergePiece piece{i, {}};
  if (is_success(line)) {
    run.ok = run.error.empty();
    piece.line = finished_line(run.backend->name);
  } else {
    piece.line = tag_line(line, run.backend->name);
  }
  auto [ec] = co_await fo.channel.async_send(error_code{}, std::move(piece), use_tuple);
  co_return !ec;
}

// Hands the body bytes `data` to the run: whole lines of a stream go to take_line, an answer is kept.
net::awaitable<bool> take_bytes(FanOut& fo, std::size_t i, bool streamed, std::string_view data) {
  BackendRun& run = fo.runs[i];
  if (!streamed) {
    run.body.append(data.substr(0, kMaxAnswerBody - std::min(kMaxAnswerBody, run.body.size())));
    co_return true;
  }
  run.pending.append(data);
  std::size_t start = 0;
  for (auto nl = run.pending.find('\n'); nl != std::string::npos; nl = run.pending.find('\n', start)) {
    const std::string line = run.pending.substr(start, nl - start);
    start = nl + 1;
    if (!co_await take_line(fo, i, line)) co_return false;
  }
  run.pending.erase(0, start);
  if (run.pending.size() > kMaxLine) {
    run.error = "a progress line longer than 1 MiB";
    co_return false;
  }
  co_return true;
}

// Sends the call to run `i`'s backend and reads the answer to its end; the run records the outcome.
net::awaitable<void> exchange_with(FanOut& fo, std::size_t i) {
  BackendRun& run = fo.runs[i];
  const std::shared_ptr<const upstream::Backend> target = run.backend;
  const upstream::Backend& b = *target;
  const std::string& body = fo.req.msg.body();
  std::string head;
  const http1::ForwardContext fwd{b.authority, b.path_prefix, fo.req.client_ip, fo.req.request_id, fo.req.client_tls};
  http1::build_upstream_head(head, fo.req.msg, fo.req.facts.origin_target, fwd, body.size(), true);
  // A stream:false pull answers only once the model is in: its head waits under timeouts.pull.
  const bool pull = fo.endpoint == routing::Endpoint::kPull;
  config::TimeoutsConfig timeouts = fo.config().timeouts;
  if (pull) timeouts.first_byte = timeouts.pull;
  std::optional<upstream::ResponseParser> parser;
  upstream::ExchangeResult ex;
  co_await exchange(fo.ctx.pool, target, head, body, false, timeouts, parser, ex);
  if (ex.error) {
    const bool late = pull && ex.error->kind == ErrorKind::kUpstreamFirstByteTimeout;
    run.error = late ? std::string("no answer within timeouts.pull") : std::string(ex.error->message());
    co_return;
  }
  upstream::ResponseParser& p = *parser;
  run.status = static_cast<int>(p.get().result_int());
  const bool streamed = run.status == 200 && fo.info.stream &&
                        http1::stream_format(p.get()[http::field::content_type]) == http1::StreamFormat::kNdjson;
  std::array<char, 8192> buf;
  while (!p.is_done()) {
    p.get().body().data = buf.data();
    p.get().body().size = buf.size();
    ex.conn->stream.expires_after(fo.config().timeouts.stream_idle);
    auto [ec, n] = co_await http::async_read_some(ex.conn->stream, ex.conn->buffer, p, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      run.ok = false;
      run.error = ec == beast::error::timeout ? "no progress within timeouts.stream_idle"
                                              : "the answer was cut: " + ec.message();
      co_return;  // the connection closes with `ex`
    }
    const std::size_t got = buf.size() - p.get().body().size;
    if (!co_await take_bytes(fo, i, streamed, std::string_view(buf.data(), got))) co_return;
  }
  if (p.keep_alive() && ex.conn->buffer.size() == 0) fo.ctx.pool.give_back(b.uid, std::move(ex.conn));
  if (streamed) {
    if (!run.pending.empty() && !co_await take_line(fo, i, run.pending)) co_return;
    if (!run.ok && run.error.empty()) run.error = "the progress stream ended without success";
  } else if (run.status == 200) {
    run.ok = true;
  } else {
    run.error = error_field(run.body).value_or(run.body.empty() ? "HTTP " + std::to_string(run.status) : run.body);
  }
}

// The inventory of a backend after its part succeeded (a delete that found nothing: it has none either).
void update_inventory(const FanOut& fo, const BackendRun& run) {
  upstream::ModelCatalog& catalog = run.backend->catalog;
  switch (fo.endpoint) {
    case routing::Endpoint::kDelete:
      if (run.ok || run.status == 404) catalog.drop_from_inventory(fo.model_hash);
      break;
    case routing::Endpoint::kCopy:
      if (run.ok) catalog.add_to_inventory(fo.destination_hash);
      break;
    default:
      if (run.ok) catalog.add_to_inventory(fo.model_hash);
      break;
  }
}

// Tells a streamed pull's client that run `i` waits for its backend's pull slot, at once and then every
// kWaitingLineEvery, so the silent wait (as long as the other pull) is not cut by an idle timeout on the
// way. Ends when cancelled (the slot came) or when the client's stream failed.
net::awaitable<void> report_waiting(FanOut& fo, std::size_t i) {
  SteadyTimer timer(co_await net::this_coro::executor);
  for (;;) {
    MergePiece piece{i, waiting_line(fo.runs[i].backend->name)};
    auto [ec] = co_await fo.channel.async_send(error_code{}, std::move(piece), use_tuple);
    if (ec) co_return;
    timer.expires_after(kWaitingLineEvery);
    auto [tec] = co_await timer.async_wait();
    if (tec) co_return;
  }
}

// Run `i`'s slot (and pull slot): a streamed pull finding another pull on its backend reports its wait.
net::awaitable<std::optional<admission::Lease>> admit_run(FanOut& fo, std::size_t i) {
  BackendRun& run = fo.runs[i];
  // A pull waits as long as its client does (the run records why there was no slot otherwise).
  auto admitting = admit_to_backend(fo.snap, fo.pool, fo.info.model_key, fo.model_hash, fo.endpoint,
                                    run.backend->name, run.error);
  const bool behind_a_pull = fo.info.stream && fo.endpoint == routing::Endpoint::kPull &&
                             !run.backend->catalog.pull_slots->has_free();
  if (!behind_a_pull) co_return co_await std::move(admitting);
  auto reporting = report_waiting(fo, i);
  auto first = co_await (std::move(admitting) || std::move(reporting));
  if (first.index() == 0) co_return std::move(std::get<0>(first));
  run.error = "cancelled";  // the client's stream failed: nobody is left to pull for
  co_return std::nullopt;
}

net::awaitable<void> run_one(FanOut& fo, std::size_t i) {
  {
    const std::optional<admission::Lease> lease = co_await admit_run(fo, i);
    if (lease) co_await exchange_with(fo, i);
  }  // the slot goes back before the merge hears of the end
  update_inventory(fo, fo.runs[i]);
  MergePiece end{i, {}};
  co_await fo.channel.async_send(error_code{}, std::move(end), use_tuple);
}

net::awaitable<void> run_all(FanOut& fo) {
  auto ex = co_await net::this_coro::executor;
  using Op = decltype(net::co_spawn(ex, run_one(fo, 0), net::deferred));
  std::vector<Op> ops;
  ops.reserve(fo.runs.size());
  for (std::size_t i = 0; i < fo.runs.size(); ++i) ops.push_back(net::co_spawn(ex, run_one(fo, i), net::deferred));
  co_await net::experimental::make_parallel_group(std::move(ops))
      .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
}

// The client's chunked NDJSON answer: the head goes with the first piece; `last` ends the body.
net::awaitable<bool> write_stream(FanOut& fo, std::string_view bytes, bool last) {
  if (!fo.head_sent) {
    fo.head_sent = true;
    fo.res.version(fo.req.msg.version());
    fo.res.result(http::status::ok);
    fo.res.set(http::field::content_type, "application/x-ndjson");
    fo.res.set("X-Request-ID", fo.req.request_id);
    if (fo.req.msg.version() >= 11) fo.res.chunked(true);
    fo.res.keep_alive(fo.req.keep_alive && fo.req.msg.version() >= 11 &&
                      !fo.ctx.gw.draining.load(std::memory_order_relaxed));
  }
  const error_code ec = co_await http1::write_piece(fo.req.client, fo.sr, fo.res, bytes.data(), bytes.size(), !last,
                                             fo.config().timeouts.stream_idle);
  if (ec) fo.client_failed = true;
  co_return !ec;
}

// Takes every backend's lines and end; writes the lines to the client in stream mode.
net::awaitable<void> merge(FanOut& fo) {
  std::size_t ended = 0;
  while (ended < fo.runs.size()) {
    auto [ec, piece] = co_await fo.channel.async_receive(use_tuple);
    if (ec) co_return;
    if (piece.line.empty()) {
      ++ended;
    } else if (!co_await write_stream(fo, piece.line, false)) {
      fo.channel.close();  // the backends' next send fails: they stop and close their connections
      co_return;
    }
  }
}

// A whole JSON answer (no stream, or a stream that never started).
net::awaitable<FanOutAnswer> answer_whole(FanOut& fo, int status, std::string_view body) {
  http1::ResponseOptions o;
  o.version = fo.req.msg.version();
  o.keep_alive = fo.req.keep_alive && !fo.ctx.gw.draining.load(std::memory_order_relaxed);
  o.request_id = fo.req.request_id;
  const std::string_view type = body.empty() ? "" : "application/json; charset=utf-8";
  const std::string bytes = http1::simple_response(status, type, body, o);
  const bool written = co_await gateway::write_all(fo.req.client, bytes);
  co_return FanOutAnswer{gateway::Completion{written && o.keep_alive}, status};
}

// The end of the answer once every backend is done.
net::awaitable<FanOutAnswer> conclude(FanOut& fo) {
  std::vector<BackendOutcome> outcomes;
  for (const BackendRun& r : fo.runs) outcomes.push_back({r.backend->name, r.status, r.ok, r.error});
  const Verdict v = merge_outcomes(fo.endpoint, fo.info.model, outcomes);
  constexpr std::string_view kSuccess = "{\"status\":\"success\"}";
  if (fo.info.stream && fo.traits.reports_progress && (fo.head_sent || v.error.empty())) {
    const std::string last = (v.error.empty() ? std::string(kSuccess) : gojson::error_body(v.error)) + "\n";
    const bool written = co_await write_stream(fo, last, true);
    co_return FanOutAnswer{gateway::Completion{written && fo.res.keep_alive()}, 200};
  }
  if (!v.error.empty()) {
    const std::string body = gojson::error_body(v.error);
    co_return co_await answer_whole(fo, v.status, body);
  }
  co_return co_await answer_whole(fo, 200, fo.traits.reports_progress ? kSuccess : std::string_view{});
}

}  // namespace

net::awaitable<FanOutAnswer> fan_out(gateway::ProxyContext& ctx, gateway::ClientRequest& req, const upstream::SnapshotPtr& snap,
                                     std::size_t pool) {
  const auto ex = co_await net::this_coro::executor;  // named: no temporaries in a co_await expression (GCC 12)
  FanOut fo(ctx, req, snap, pool, ex);
  if (!fo.info.ok()) {
    co_return FanOutAnswer{co_await gateway::answer_error(req, ErrorKind::kBadRequest, fo.info.error_message), 400};
  }
  fo.model_hash = common::hash_key(fo.info.model_key);
  if (fo.endpoint == routing::Endpoint::kCopy) {
    fo.destination_hash = common::hash_key(routing::model_key(fo.info.destination).value_or(fo.info.destination));
  }
  std::vector<std::uint32_t> members;
  if (const auto named = req.msg.find("X-Corral-Backend"); named != req.msg.end()) {
    std::string unknown;
    members = named_targets(fo.pool_state(), named->value(), unknown);
    if (!unknown.empty() || members.empty()) {
      const std::string& pool_name = fo.pool_state().config->name;
      const std::string why = unknown.empty() ? "X-Corral-Backend names no backend"
                                              : "X-Corral-Backend: no backend named '" + unknown + "' in pool '" +
                                                    pool_name + "'";
      co_return FanOutAnswer{co_await gateway::answer_error(req, ErrorKind::kBadRequest, why), 400};
    }
  } else {
    members = pool_targets(fo);
  }
  if (members.empty()) {
    if (fo.traits.holders_only) co_return co_await conclude(fo);  // nobody has the model: Ollama's 404
    co_return FanOutAnswer{co_await gateway::answer_error(req, ErrorKind::kNoEligibleBackend), 503};
  }
  for (const std::uint32_t m : members) {
    BackendRun run;
    run.backend = fo.pool_state().members[m]->backend;
    run.member = m;
    fo.runs.push_back(std::move(run));
  }
  {
    // A client that leaves now cancels the attempts (their connections close); after that nothing more
    // may be awaited here (the watch's contract), so the answer ends at once.
    gateway::DisconnectWatch& watch = *req.watch;
    const auto armed = watch.arm();
    if (watch.gone()) co_return FanOutAnswer{gateway::Completion{false}, 499};
    co_await (run_all(fo) || merge(fo));
    if (watch.gone() || fo.client_failed) co_return FanOutAnswer{gateway::Completion{false}, 499};
  }
  co_return co_await conclude(fo);
}

}  // namespace corral::fleet_ops
