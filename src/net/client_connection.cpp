// Deadlines: waiting for a request's first byte uses the keep-alive idle timeout (client_header on a new
// connection) and closes silently; once a head has started, the whole head must arrive within
// client_header or the client gets 408 (HAProxy `timeout http-request`, anti-slowloris); each body read
// waits at most client_body. The head is scanned raw before Beast parses it (request_checks.hpp).
#include "net/client_connection.hpp"

// GCC 12 reports Asio's coroutine frame allocation as a -Wmismatched-new-delete false positive here
// (as in agent_server.cpp); silenced for this file only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "admin/admin_routes.hpp"
#include "common/log.hpp"
#include "http/error_response.hpp"
#include "http/headers.hpp"
#include "proxy/proxy_handler.hpp"
#include "routing/request_info.hpp"

namespace corral::netio {
namespace {

// A refusal of `req` in its route family's shape, with what `o` adds (Retry-After, a challenge, an
// Accept-Encoding), the request's framing and its X-Request-ID echoed.
std::string refusal_of(const gateway::ClientRequest& req, int status, std::string_view message, http1::ResponseOptions o) {
  o.version = req.msg.version();
  o.keep_alive = req.keep_alive;
  o.head_only = req.msg.method() == http::verb::head;
  const auto rid = req.msg.find("X-Request-ID");
  const std::string request_id =
      http1::request_id_for(rid == req.msg.end() ? std::string_view{} : std::string_view(rid->value()));
  o.request_id = request_id;
  return http1::refusal_response(status, req.route.family, message, o);
}

using namespace net::experimental::awaitable_operators;

http1::Limits limits_of(const config::Config& c) {
  return http1::Limits{c.limits.max_header, c.limits.max_headers, c.limits.max_uri, c.limits.max_body};
}

// A verdict known without waiting, as the awaitable authorize() returns.
net::awaitable<auth::Verdict> decided(auth::Verdict verdict) { co_return verdict; }

// Client-side read sizes. What a connection keeps between requests and through a long stream is its
// read buffer's capacity, so reads start small (a request head rarely passes 1 KiB; the read-ahead of
// the next request reads as much); a body read widens the buffer for the body's duration only.
constexpr std::size_t kHeadRead = 1024;
constexpr std::size_t kBodyReadMax = 64 * 1024;
constexpr std::size_t kKeptCapacity = 4096;

}  // namespace

ClientConnection::ClientConnection(tcp::socket socket, Worker& worker, ConnectionOrigin origin)
    : stream_(std::move(socket)),
      header_timer_(stream_.get_executor()),
      worker_(worker),
      admin_(origin.admin),
      gatekeeper_(*origin.gatekeeper),
      peer_(common::normalize(origin.peer)),
      ticket_(std::move(origin.ticket)),
      tls_(origin.tls) {
  client_ip_ = peer_.to_string();
  error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);  // fails harmlessly on a TLS socket pair
}

void start_connection(tcp::socket socket, Worker& worker, ConnectionOrigin origin) {
  auto conn = std::make_shared<ClientConnection>(std::move(socket), worker, std::move(origin));
  net::co_spawn(worker.ioc, conn->run(), net::bind_cancellation_slot(conn->cancellation_slot(), [conn, gw = &worker.gw](std::exception_ptr e) {
    if (!e) return;
    gw->metrics.record_internal_error();  // corral_internal_errors_total: the last-resort count
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("connection ended by an unexpected exception: {}", ex.what());
    } catch (...) {
      log::error("connection ended by an unexpected non-standard exception");
    }
  }));
}

void ClientConnection::drain() {
  if (!idle_) return;
  error_code ec;
  stream_.socket().close(ec);
}

void ClientConnection::close() {
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

net::awaitable<void> ClientConnection::run() {
  worker_.connections.insert(this);
  worker_.gw.connections.fetch_add(1, std::memory_order_relaxed);
  struct Leave {
    ClientConnection* self;
    ~Leave() {
      self->worker_.connections.erase(self);
      self->worker_.gw.connections.fetch_sub(1, std::memory_order_relaxed);
    }
  } leave{this};
  bool first = true;
  while (co_await serve_one(first)) first = false;
  close();
}

net::awaitable<ClientConnection::Head> ClientConnection::read_head(bool first_request) {
  const auto snap = worker_.gw.registry.current();
  const config::Config& cfg = *snap->config;
  const http1::Limits limits = limits_of(cfg);
  if (!co_await await_read_ahead(first_request ? cfg.timeouts.client_header : cfg.timeouts.keepalive_idle)) {
    co_return Head{};
  }
  std::optional<SteadyTimer::time_point> deadline;
  for (;;) {
    if (buffer_.size() > 0) {
      const auto data = buffer_.data();
      const auto scan = http1::scan_head({static_cast<const char*>(data.data()), data.size()}, limits);
      if (scan.state == http1::HeadScan::State::kComplete) co_return Head{HeadStatus::kComplete, scan.skip, scan.head_size, {}};
      if (scan.state == http1::HeadScan::State::kRefused) co_return Head{HeadStatus::kRefused, 0, 0, scan.refusal};
      if (!deadline) deadline = SteadyTimer::clock_type::now() + cfg.timeouts.client_header;
    }
    const auto space = buffer_.prepare(kHeadRead);
    if (!deadline) {
      if (worker_.gw.draining.load(std::memory_order_relaxed)) co_return Head{};
      idle_ = true;
      stream_.expires_after(first_request ? cfg.timeouts.client_header : cfg.timeouts.keepalive_idle);
      auto [ec, n] = co_await stream_.async_read_some(space);
      idle_ = false;
      if (ec) co_return Head{};
      buffer_.commit(n);
      continue;
    }
    stream_.expires_never();
    header_timer_.expires_at(*deadline);
    auto r = co_await (stream_.socket().async_read_some(space, use_tuple) || header_timer_.async_wait());
    if (r.index() == 1) co_return Head{HeadStatus::kTimeout, 0, 0, {ErrorKind::kRequestTimeout, "request head timeout"}};
    auto [ec, n] = std::get<0>(r);
    if (ec) co_return Head{};
    buffer_.commit(n);
  }
}

// The read-ahead: one read kept pending on the client socket from the moment a request has been read
// until the next one arrives. It is the read of the next request, started early, and doubles as the
// disconnect detector while the request is proxied (disconnect_watch.hpp): a read needs no epoll_ctl,
// and nothing is allocated per request (the handler's memory is recycled by Asio). Its one cost: Asio's
// reactor tries the read at once (Boost 1.81 stops trying reads speculatively only after an end of
// file), and that recv finds nothing, since a client sends its next request after this answer. Waiting
// for readability first (async_wait, then a non-blocking read) trades that recv for an epoll_ctl per
// request (Asio re-arms the descriptor), which costs more: measured and left (issue 8).
// A plain completion handler, not the coroutine's: the coroutine is busy with the request meanwhile.
void ClientConnection::start_read_ahead() {
  ahead_ = ReadAhead::kPending;
  stream_.socket().async_read_some(buffer_.prepare(kHeadRead), [self = shared_from_this()](error_code, std::size_t n) {
    self->read_ahead_done(n);
  });
}

void ClientConnection::read_ahead_done(std::size_t n) {
  if (n > 0) {
    buffer_.commit(n);  // a pipelined (or simply the next) request: read_head takes it from buffer_
    ahead_ = ReadAhead::kBytes;
  } else if (withdrawn_) {
    ahead_ = ReadAhead::kNone;  // await_read_ahead cancelled it: the next request was already here
  } else {
    ahead_ = ReadAhead::kEnded;  // EOF, reset, or our own close
    watch_.client_left();
  }
  withdrawn_ = false;
  if (waiting_) header_timer_.cancel();
}

// Waits for a pending read-ahead within `idle`, the deadline of a fresh read of a request. header_timer_
// is the deadline and the wake-up: read_ahead_done() cancels the wait. Returns false when the connection
// should close (EOF, idle timeout, drain).
net::awaitable<bool> ClientConnection::await_read_ahead(std::chrono::nanoseconds idle) {
  if (ahead_ == ReadAhead::kPending) {
    if (worker_.gw.draining.load(std::memory_order_relaxed)) co_return false;
    if (buffer_.size() > 0) {
      // Pipelined bytes came in with the last request, before the read-ahead started: serve them, but
      // first take the read-ahead back (it writes into buffer_, which the next request's parse moves).
      withdrawn_ = true;
      error_code ignored;
      stream_.socket().cancel(ignored);
    }
    idle_ = true;
    waiting_ = true;
    header_timer_.expires_after(idle);
    co_await header_timer_.async_wait();
    idle_ = false;
    waiting_ = false;
    if (ahead_ == ReadAhead::kPending) co_return false;  // timed out; run() closes, which ends the read
  }
  if (ahead_ == ReadAhead::kEnded) co_return false;
  ahead_ = ReadAhead::kNone;
  co_return true;
}

net::awaitable<void> ClientConnection::linger_close() {
  // Half-close, then drain what the client still sends for a moment, so our answer is not destroyed by
  // a reset caused by unread bytes (the lingering close of HTTP servers).
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (drained < 256 * 1024) {
    stream_.expires_after(std::chrono::seconds(1));
    auto [rec, n] = co_await stream_.async_read_some(net::buffer(sink));
    if (rec) break;
    drained += n;
  }
  close();
}

net::awaitable<void> ClientConnection::refuse(const http1::Refusal& refusal) {
  http1::ResponseOptions o;
  o.keep_alive = false;
  const std::string bytes = http1::error_response(ProxyError{refusal.kind, std::string(refusal.reason)},
                                                  routing::ErrorFamily::kOllama, o);
  if (co_await gateway::write_all(stream_, bytes)) co_await linger_close();
}

net::awaitable<bool> ClientConnection::refuse_request(const gateway::ClientRequest& req, const auth::Verdict& verdict) {
  http1::ResponseOptions o;
  o.retry_after = verdict.retry_after;
  o.bearer_challenge = verdict.status == 401;
  const std::string bytes = refusal_of(req, verdict.status, verdict.message, o);
  const bool ok = co_await gateway::write_all(stream_, bytes);
  co_return ok && req.keep_alive;
}

net::awaitable<bool> ClientConnection::refuse_body(const gateway::ClientRequest& req, const http1::BodyRefusal& refusal) {
  http1::ResponseOptions o;
  o.accept_encoding = refusal.accept_encoding;
  const std::string bytes = refusal_of(req, refusal.status, refusal.message, o);
  const bool ok = co_await gateway::write_all(stream_, bytes);
  co_return ok && req.keep_alive;
}

// One request: read -> check -> route -> authorize -> the handler of its route's kind. This frame lives as
// long as the request, a stream's whole life, so what only one phase needs lives in that phase's frame.
net::awaitable<bool> ClientConnection::serve_one(bool first_request) {
  RequestParser parser;
  gateway::ClientRequest req(parser.get(), stream_);
  upstream::SnapshotPtr snap = co_await read_request(first_request, parser, req);
  if (!snap) co_return false;
  // A body that cannot be read (a coding the route does not take, a broken or oversized zstd body) is
  // refused like a framing error, before the key checks, but the connection goes on: it was read whole.
  const std::optional<http1::BodyRefusal> unreadable = find_route(req);
  auth::Verdict verdict;
  if (!unreadable) {
    // Named first: GCC 12 double-destroys non-trivial temporaries in a co_await full-expression. In a
    // block of its own, so that the check's frame is gone before the request is proxied (a stream keeps
    // this frame for its whole life).
    auto authorizing = authorize(req, std::move(snap));
    verdict = co_await std::move(authorizing);
  }
  bool go_on = false;
  if (unreadable) {
    go_on = co_await refuse_body(req, *unreadable);
  } else if (!verdict.admitted()) {
    go_on = co_await refuse_request(req, verdict);
  } else if (req.route.kind == routing::RouteKind::kGateway) {
    go_on = co_await answer_own_route(req);
  } else {
    prepare_to_proxy(req, verdict);
    start_read_ahead();
    gateway::ProxyContext ctx{worker_.gw, worker_.pool};
    const gateway::Completion done = co_await proxy::handle_request(ctx, req);
    gatekeeper_.charge(verdict.key, req.completion_tokens);
    // A departure seen by the watch may have cancelled this coroutine, after which its next co_await
    // would throw: end here (the connection is over anyway).
    go_on = done.keep_alive && !watch_.gone();
  }
  body_storage_ = std::move(req.msg.body());
  co_return go_on;
}

// Read and check (style.md section 4, steps 2-4): the head under its deadline, Beast's parse of it, the
// strict head checks, then the body. A refusal is answered here, with `Connection: close`. Returns the
// snapshot the request is served under (loaded once the head is in), or null when the connection is to
// close.
net::awaitable<upstream::SnapshotPtr> ClientConnection::read_request(bool first_request, RequestParser& parser,
                                                                     gateway::ClientRequest& req) {
  const Head head = co_await read_head(first_request);
  if (head.status == HeadStatus::kClosed) co_return nullptr;
  if (head.status != HeadStatus::kComplete) {
    co_await refuse(head.refusal);
    co_return nullptr;
  }
  upstream::SnapshotPtr snap = worker_.gw.registry.current();
  const http1::Limits limits = limits_of(*snap->config);
  buffer_.consume(head.skip);
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(limits.max_header + 1, UINT32_MAX)));
  parser.body_limit(limits.max_body);
  body_storage_.clear();
  parser.get().body() = std::move(body_storage_);
  error_code ec;
  parser.put(net::buffer(buffer_.data().data(), head.size), ec);
  buffer_.consume(head.size);
  if (ec || !parser.is_header_done()) {
    co_await refuse(ec ? http1::refusal_for_parse_error(ec) : http1::Refusal{ErrorKind::kBadRequest, "malformed request"});
    co_return nullptr;
  }
  const auto& msg = parser.get();
  const auto checked = http1::check_head(msg, limits);
  if (const auto* refusal = std::get_if<http1::Refusal>(&checked)) {
    co_await refuse(*refusal);
    co_return nullptr;
  }
  req.facts = std::get<http1::HeadFacts>(checked);
  req.keep_alive = msg.version() == 11 && msg.keep_alive() && !worker_.gw.draining.load(std::memory_order_relaxed);
  if (!parser.is_done()) {
    http1::Refusal refusal;
    switch (take_buffered_body(parser, req.facts, refusal)) {
      case BufferedBody::kComplete:
        break;
      case BufferedBody::kRefused:
        co_await refuse(refusal);
        co_return nullptr;
      case BufferedBody::kMore:
        if (!co_await read_body(parser, req.facts, snap->config->timeouts.client_body)) co_return nullptr;
        break;
    }
  }
  co_return snap;
}

// A small body usually arrives in the same segment as its head, so it is in buffer_ already: parsed here,
// synchronously, it costs no asynchronous read (Beast's read_some_op with its timer was about a quarter of
// the instructions of a small request). What is not there yet is read_body's.
ClientConnection::BufferedBody ClientConnection::take_buffered_body(RequestParser& parser, const http1::HeadFacts& facts,
                                                                   http1::Refusal& refusal) {
  if (facts.content_length) parser.get().body().reserve(*facts.content_length + routing::kBodyPadding);
  while (!parser.is_done() && buffer_.size() > 0) {
    error_code ec;
    const std::size_t used = parser.put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) break;
    if (ec == http::error::body_limit) {
      refusal = {ErrorKind::kPayloadTooLarge, "request body too large"};
      return BufferedBody::kRefused;
    }
    if (ec) {
      refusal = {ErrorKind::kBadRequest, ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension
                                             ? "invalid chunked encoding"
                                             : "malformed request body"};
      return BufferedBody::kRefused;
    }
    if (used == 0) break;
  }
  return parser.is_done() ? BufferedBody::kComplete : BufferedBody::kMore;
}

// The body of a request whose head passed. Returns false when the connection is to close (a refusal was
// answered, or the client left or stalled: the timeout closed the socket).
net::awaitable<bool> ClientConnection::read_body(RequestParser& parser, const http1::HeadFacts& facts,
                                                 std::chrono::nanoseconds timeout) {
  if (facts.content_length) parser.get().body().reserve(*facts.content_length + routing::kBodyPadding);
  // Beast reads a body in pieces of the buffer's free capacity: widen it for a large body (read
  // syscalls), and give the memory back afterwards (below).
  buffer_.reserve(std::min(facts.content_length.value_or(kBodyReadMax), kBodyReadMax) + buffer_.size());
  constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  if (facts.expect_continue && !co_await gateway::write_all(stream_, kContinue)) co_return false;
  while (!parser.is_done()) {
    stream_.expires_after(timeout);
    auto [rec, n] = co_await http::async_read_some(stream_, buffer_, parser);
    if (rec == http::error::body_limit) {
      co_await refuse({ErrorKind::kPayloadTooLarge, "request body too large"});
      co_return false;
    }
    if (rec == http::error::bad_chunk || rec == http::error::bad_chunk_extension) {
      co_await refuse({ErrorKind::kBadRequest, "invalid chunked encoding"});
      co_return false;
    }
    if (rec) co_return false;
  }
  if (buffer_.capacity() > kKeptCapacity) buffer_.shrink_to_fit();
  co_return true;
}

// Which row of the table the request is, as this listener serves it; then the one parse of the body, or
// of its decompressed copy when it came compressed (the body itself is forwarded as the client sent it).
// Returns the refusal when the body cannot be read.
std::optional<http1::BodyRefusal> ClientConnection::find_route(gateway::ClientRequest& req) const {
  const routing::RouteContext where{admin_ ? routing::Listener::kAdmin : routing::Listener::kPublic,
                                    worker_.gw.admin_listener};
  req.route = routing::route_request(req.msg.method(), req.facts.origin_target, where);
  http1::FactsBody coded = http1::body_for_facts(req.route, req.msg, req.msg.body());
  if (coded.refusal) return std::move(coded.refusal);
  req.info = routing::read_request_facts(req.route, coded.decoded ? coded.body : req.msg.body());
  return std::nullopt;
}

// Who may make this call. The admin listener is trusted: no keys, no limits, no X-Forwarded-For. On the
// public listener the row's access column decides: probes pass; Corral's own admin calls need an admin
// key and nothing more (they are not requests of the fleet: no rate limits); every other request passes
// the gatekeeper's checks, which ask an admin key where the row does (model management). The policy is
// the one in the snapshot the request loaded: no lock. Not a coroutine: the common case hands back the
// gatekeeper's own check, so no frame is added for it.
net::awaitable<auth::Verdict> ClientConnection::authorize(const gateway::ClientRequest& req, upstream::SnapshotPtr snap) {
  const routing::Access access = req.route.traits->access;
  if (admin_ || access == routing::Access::kOpen) {
    auth::Verdict open;
    open.client_ip = client_ip_;
    return decided(std::move(open));
  }
  auto policy = upstream::access_policy_of(snap);
  if (access == routing::Access::kAdmin && req.route.kind == routing::RouteKind::kGateway) {
    return decided(auth::Gatekeeper::check_admin(std::move(policy), req.msg));
  }
  return gatekeeper_.check(std::move(policy), peer_, client_ip_, req.msg, req.route, req.info);
}

// The gateway's own pages and calls are not requests of the fleet: probes, scrapes and status polls stay
// out of the request metrics and the access log, and never start the read-ahead.
net::awaitable<bool> ClientConnection::answer_own_route(const gateway::ClientRequest& req) {
  const std::string bytes =
      co_await admin::answer_gateway_route(worker_.gw, worker_.pool, req.msg, req.route, req.keep_alive);
  const bool ok = co_await gateway::write_all(stream_, bytes);
  co_return ok && req.keep_alive;
}

// What the proxy needs to know of the connection and of the verdict.
void ClientConnection::prepare_to_proxy(gateway::ClientRequest& req, const auth::Verdict& verdict) {
  const auto rid = req.msg.find("X-Request-ID");
  req.request_id = http1::request_id_for(rid == req.msg.end() ? std::string_view{} : std::string_view(rid->value()));
  req.client_ip = verdict.client_ip;
  req.client_tls = tls_;
  if (verdict.key != nullptr) req.principal = verdict.key->name;
  req.admin_listener = admin_;
  req.started = steady_now();
  req.relay_buffers = &worker_.relay_buffers;
  req.watch = &watch_;
}

}  // namespace corral::netio
