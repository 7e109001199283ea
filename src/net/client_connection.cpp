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

using namespace net::experimental::awaitable_operators;

http1::Limits limits_of(const config::Config& c) {
  return http1::Limits{c.limits.max_header, c.limits.max_headers, c.limits.max_uri, c.limits.max_body};
}

net::awaitable<std::optional<std::string>> run_reload(gateway::GatewayState* gw) {
  if (!gw->reload) co_return std::optional<std::string>("nothing to reload: no configuration file (quick mode)");
  co_return gw->reload();
}

std::string status_json(std::string_view status) { return std::string(R"({"status":")") + std::string(status) + "\"}"; }

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

net::awaitable<bool> ClientConnection::refuse_request(const http::request<http::string_body>& msg,
                                                      const routing::Route& route, const auth::Verdict& verdict,
                                                      bool keep_alive) {
  http1::ResponseOptions o;
  o.version = msg.version();
  o.keep_alive = keep_alive;
  o.head_only = msg.method() == http::verb::head;
  o.retry_after = verdict.retry_after;
  o.bearer_challenge = verdict.status == 401;
  const auto rid = msg.find("X-Request-ID");
  const std::string request_id =
      http1::request_id_for(rid == msg.end() ? std::string_view{} : std::string_view(rid->value()));
  o.request_id = request_id;
  const std::string bytes = http1::refusal_response(verdict.status, route.family, verdict.message, o);
  const bool ok = co_await gateway::write_all(stream_, bytes);
  co_return ok && keep_alive;
}

net::awaitable<bool> ClientConnection::admin_request(http::request<http::string_body>& msg, std::string_view path,
                                                     bool keep_alive, bool privileged) {
  http1::ResponseOptions o;
  o.version = msg.version();
  o.keep_alive = keep_alive;
  o.head_only = msg.method() == http::verb::head;
  std::string bytes;
  gateway::GatewayState& gw = worker_.gw;
  const bool ready = gw.is_ready();
  if (path == "/healthz") {
    bytes = http1::simple_response(200, "application/json", status_json("ok"), o);
  } else if (path == "/readyz") {
    bytes = http1::simple_response(ready ? 200 : 503, "application/json", status_json(ready ? "ready" : "not ready"), o);
  } else if (privileged && path == "/corral/api/reload") {
    if (msg.method() != http::verb::post) {
      o.allow = "POST";
      bytes = http1::error_response(ProxyError{ErrorKind::kMethodNotAllowed, {}}, routing::ErrorFamily::kOllama, o);
    } else {
      const auto error = co_await net::co_spawn(gw.control, run_reload(&gw), net::use_awaitable);
      bytes = error ? http1::simple_response(400, "application/json; charset=utf-8",
                                             http1::error_body(routing::ErrorFamily::kOllama, 400, *error), o)
                    : http1::simple_response(200, "application/json", status_json("reloaded"), o);
    }
  } else {
    // The status page, /metrics and /corral/api/status (admin/admin_routes.hpp).
    std::optional<std::string> page = co_await admin::answer_observability(gw, worker_.pool, msg, path, keep_alive, true);
    bytes = page ? std::move(*page)
                 : http1::error_response(ProxyError{ErrorKind::kNotFound, {}}, routing::ErrorFamily::kOllama, o);
  }
  const bool ok = co_await gateway::write_all(stream_, bytes);
  co_return ok && keep_alive;
}

net::awaitable<bool> ClientConnection::serve_one(bool first_request) {
  const Head head = co_await read_head(first_request);
  if (head.status == HeadStatus::kClosed) co_return false;
  if (head.status != HeadStatus::kComplete) {
    co_await refuse(head.refusal);
    co_return false;
  }
  const auto snap = worker_.gw.registry.current();
  const http1::Limits limits = limits_of(*snap->config);
  buffer_.consume(head.skip);

  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(limits.max_header + 1, UINT32_MAX)));
  parser.body_limit(limits.max_body);
  body_storage_.clear();
  parser.get().body() = std::move(body_storage_);
  error_code ec;
  parser.put(net::buffer(buffer_.data().data(), head.size), ec);
  buffer_.consume(head.size);
  if (ec || !parser.is_header_done()) {
    co_await refuse(ec ? http1::refusal_for_parse_error(ec) : http1::Refusal{ErrorKind::kBadRequest, "malformed request"});
    co_return false;
  }
  auto& msg = parser.get();
  const auto checked = http1::check_head(msg, limits);
  if (const auto* refusal = std::get_if<http1::Refusal>(&checked)) {
    co_await refuse(*refusal);
    co_return false;
  }
  const http1::HeadFacts& facts = std::get<http1::HeadFacts>(checked);
  const bool keep_alive =
      msg.version() == 11 && msg.keep_alive() && !worker_.gw.draining.load(std::memory_order_relaxed);

  if (!parser.is_done()) {
    if (facts.content_length) msg.body().reserve(*facts.content_length + routing::kBodyPadding);
    // Beast reads a body in pieces of the buffer's free capacity: widen it for a large body (read
    // syscalls), and give the memory back afterwards (below).
    buffer_.reserve(std::min(facts.content_length.value_or(kBodyReadMax), kBodyReadMax) + buffer_.size());
    constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (facts.expect_continue && !co_await gateway::write_all(stream_, kContinue)) co_return false;
    while (!parser.is_done()) {
      stream_.expires_after(snap->config->timeouts.client_body);
      auto [rec, n] = co_await http::async_read_some(stream_, buffer_, parser);
      if (rec == http::error::body_limit) {
        co_await refuse({ErrorKind::kPayloadTooLarge, "request body too large"});
        co_return false;
      }
      if (rec == http::error::bad_chunk || rec == http::error::bad_chunk_extension) {
        co_await refuse({ErrorKind::kBadRequest, "invalid chunked encoding"});
        co_return false;
      }
      if (rec) co_return false;  // the client left or stalled (the timeout closed the socket)
    }
    if (buffer_.capacity() > kKeptCapacity) buffer_.shrink_to_fit();
  }

  gateway::ClientRequest req(msg, stream_);
  req.facts = facts;
  req.route = routing::route_request(msg.method(), facts.origin_target);
  const routing::Route& route = req.route;
  req.info = routing::read_request_facts(route, msg.body());  // the one parse of the body
  const bool health = facts.path == "/healthz" || facts.path == "/readyz";
  const bool corral_api = facts.path.starts_with("/corral/");
  // The status page and its JSON are read-only views, open to whoever this listener admits (like
  // /api/tags); only Corral's admin calls (reload, ...) need an admin key on the public listener.
  const bool read_only_view =
      corral_api && (msg.method() == http::verb::get || msg.method() == http::verb::head) &&
      (facts.path == "/corral/" || facts.path == "/corral/api/status" || facts.path == "/corral/api/scale");
  const bool ollama_route =
      route.kind != routing::RouteKind::kNotFound && route.kind != routing::RouteKind::kMethodNotAllowed;
  auto policy = upstream::access_policy_of(snap);  // the snapshot's own: no lock
  auth::Verdict verdict;
  if (health || (admin_ && !ollama_route)) {
    const bool go_on = co_await admin_request(msg, facts.path, keep_alive, admin_);
    body_storage_ = std::move(msg.body());
    co_return go_on;
  }
  if (admin_) {
    verdict.client_ip = client_ip_;  // the admin listener is trusted: no keys, no limits, no X-Forwarded-For
  } else if (corral_api && !read_only_view) {
    verdict = auth::Gatekeeper::check_admin(std::move(policy), msg);
    bool go_on = false;
    if (verdict.admitted()) {
      go_on = co_await admin_request(msg, facts.path, keep_alive, true);
    } else {
      go_on = co_await refuse_request(msg, route, verdict, keep_alive);
    }
    body_storage_ = std::move(msg.body());
    co_return go_on;
  } else {
    {
      // Named first: GCC 12 double-destroys non-trivial temporaries in a co_await full-expression. In a
      // block of its own, so that its frame is gone before the request is proxied (a stream keeps this
      // frame for its whole life: 0.5 KiB per open stream, issue 8).
      auto checking = gatekeeper_.check(std::move(policy), peer_, client_ip_, msg, route, req.info);
      verdict = co_await std::move(checking);
    }
    if (!verdict.admitted()) {
      const bool go_on = co_await refuse_request(msg, route, verdict, keep_alive);
      body_storage_ = std::move(msg.body());
      co_return go_on;
    }
    if (read_only_view) {
      const bool go_on = co_await admin_request(msg, facts.path, keep_alive, false);
      body_storage_ = std::move(msg.body());
      co_return go_on;
    }
  }

  // The gateway's own pages are not requests of the fleet: scrapes and status polls stay out of the
  // request metrics and the access log, like /healthz.
  if (admin::is_observability_page(worker_.gw, facts.path, admin_)) {
    const std::optional<std::string> page =
        co_await admin::answer_observability(worker_.gw, worker_.pool, msg, facts.path, keep_alive, admin_);
    if (page) {
      const bool go_on = co_await gateway::write_all(stream_, *page);
      body_storage_ = std::move(msg.body());
      co_return go_on && keep_alive;
    }
  }
  const auto rid = msg.find("X-Request-ID");
  req.request_id = http1::request_id_for(rid == msg.end() ? std::string_view{} : std::string_view(rid->value()));
  req.client_ip = verdict.client_ip;
  req.client_tls = tls_;
  if (verdict.key != nullptr) req.principal = verdict.key->name;
  req.keep_alive = keep_alive;
  req.admin_listener = admin_;
  req.started = steady_now();
  req.relay_buffers = &worker_.relay_buffers;
  req.watch = &watch_;
  start_read_ahead();
  gateway::ProxyContext ctx{worker_.gw, worker_.pool};
  const gateway::Completion done = co_await proxy::handle_request(ctx, req);
  gatekeeper_.charge(verdict.key, req.completion_tokens);
  body_storage_ = std::move(msg.body());
  // A departure seen by the watch may have cancelled this coroutine, after which its next co_await would
  // throw: end here (the connection is over anyway).
  co_return done.keep_alive && !watch_.gone();
}

}  // namespace corral::netio
