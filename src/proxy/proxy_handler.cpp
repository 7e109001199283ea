// A proxied request in named phases, each a function below, in the order they run (Pingora's
// request_filter -> upstream_peer -> response_filter -> logging, in six steps rather than forty hooks):
//   resolve_target  the model (from the request facts), its pool, the named backend, the session and hash
//                   keys; a session another replica placed is adopted from Redis (adopt_shared_session)
//   pre_route       what comes before any pick: the delete guard (409), the fan-out of management calls,
//                   the auto-pull of a model no backend has; each may answer the request itself
//   attempt         one backend: admission and pick, then the exchange up to the response head; what
//                   happened comes back as a value (AttemptResult) and is reported to the outlier detector
//   retry policy    one decision for every failure (retry_policy.hpp), taken in reach_backend's loop
//   relay           the response head and body to the client
//   account         once per request, in handle_request, whatever path it took
// Retry rules (reliability.md section 0.3, style.md section 6): a failed attempt goes to another backend
// only while nothing has reached the client, only for failures the error table marks retryable (connect
// failures, a close before the response head, Ollama's 503 busy or a 502), never for management calls,
// at most `retries` times and only within the retry budget. A first-byte timeout is never retried (the
// request may be running and a second backend would load the model again). Every wait (queue, connect,
// first byte, stream) runs under the client's disconnect watch (gateway/disconnect_watch.hpp), so a client
// that leaves cancels it and closes its upstream: such a request ends as 499, with no outlier report and
// no retry.
// Frames: an open stream keeps its coroutine frames for its whole life, so the relay runs right below
// handle_request, after reach_backend returned. The Answer it relays lives in handle_request's frame and
// attempt() fills it; the frames of the phases before (the pick input, the retry state, the admission's
// temporaries) are gone by then.
#include "proxy/proxy_handler.hpp"

#include <charconv>

#include "common/hash.hpp"
#include "common/log.hpp"
#include "fleet_ops/aggregate.hpp"
#include "fleet_ops/auto_pull.hpp"
#include "fleet_ops/management_fanout.hpp"
#include "gateway/disconnect_watch.hpp"
#include "http/body_relay.hpp"
#include "http/error_response.hpp"
#include "http/final_object.hpp"
#include "http/headers.hpp"
#include "models/delete_guard.hpp"
#include "placement/backend_pick.hpp"
#include "proxy/accounting.hpp"
#include "proxy/request_record.hpp"
#include "proxy/retry_policy.hpp"
#include "shared_state/shared_store.hpp"
#include "upstream/backend.hpp"
#include "upstream/model_state.hpp"
#include "upstream/upstream_exchange.hpp"

namespace corral::proxy {
namespace {

using upstream::Outcome;

// What every phase of one request shares: where it runs, what the client sent, the snapshot loaded once
// for the whole request, and the record account() gets at the end.
struct Request {
  gateway::ProxyContext& ctx;
  gateway::ClientRequest& req;
  upstream::SnapshotPtr snap;
  RequestRecord rec;
  std::shared_ptr<const gateway::MetricIds> ids;  ///< may be stale (a reload in between): ids() checks
  std::uint64_t model_hash = 0;                   ///< common::hash_key(rec.model_key), 0 when none

  [[nodiscard]] metrics::BackendId backend_id(std::uint32_t member) const {
    if (!ids || ids->generation != snap->generation) return metrics::kNoBackend;
    return ids->backend(rec.pool, static_cast<std::int32_t>(member));
  }
  [[nodiscard]] metrics::PoolId pool_id() const {
    return ids && ids->generation == snap->generation ? ids->pool(rec.pool) : metrics::kNoPool;
  }
};

// A backend's answer on its way to the client: attempt() fills it, relay() sends it on. Owned by
// handle_request, so it outlives the frames of the attempts.
struct Answer {
  std::optional<upstream::ResponseParser> parser;  ///< the response head (and then the body's parser)
  upstream::ExchangeResult ex;                     ///< the connection the head came on
  admission::Lease lease;                          ///< the backend's slot, held until the relay ends
  std::string head;  ///< the upstream request's head, then the client's response head (one allocation)
};

// The request is answered already (a gateway-made answer, a fan-out, a client that left), or nullopt:
// go on with the next phase.
using Handled = std::optional<gateway::Completion>;

enum class AttemptEnd : std::uint8_t {
  kAnswered,    ///< the Answer holds a response head from the backend
  kFailed,      ///< the backend failed before any response head (`failure`): nothing to relay
  kRefused,     ///< no slot: queue full, queue timeout or no eligible backend (`failure`, `retry_after`)
  kClientGone,  ///< the client left: 499, no outlier report, no retry
};

// What one attempt came to. The failure is what the retry policy judges: for kAnswered it is set when
// the answer itself is one a retry may replace (the backend's own 503 or 502); when none does, that
// answer is relayed as it is. Failures here carry no detail text (the table's message is the answer), so
// the result stays a few trivially copied bytes.
struct AttemptResult {
  AttemptEnd end = AttemptEnd::kAnswered;
  std::optional<ErrorKind> failure;
  std::uint32_t retry_after = 0;  ///< kRefused: the pool queue's Retry-After
};

std::optional<std::uint64_t> header_hash(const http::fields& fields, std::string_view name) {
  if (name.empty()) return std::nullopt;
  const auto it = fields.find(name);
  if (it == fields.end() || it->value().empty()) return std::nullopt;
  return common::hash_key(it->value());
}

// Feeds the outlier detector. Successes take its lock only after a failure (PoolMember::failing).
// Returns true when this report ejected the member.
bool report(upstream::PoolMember& m, Outcome outcome) {
  if (outcome == Outcome::kBusy || outcome == Outcome::kCancelled) return false;
  if (outcome == Outcome::kSuccess && !m.failing.load(std::memory_order_relaxed)) return false;  // no clock read
  const auto now = std::chrono::steady_clock::now();
  if (outcome == Outcome::kSuccess) {
    m.failing.store(false, std::memory_order_relaxed);
    (void)m.detector.report(outcome, now);
    return false;
  }
  m.failing.store(true, std::memory_order_relaxed);
  if (m.detector.report(outcome, now) == upstream::ReportResult::kEjected) {
    const auto until = m.detector.ejected_until().time_since_epoch();
    m.ejected_until_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(until).count(),
                             std::memory_order_relaxed);
    log::warn("backend {} (pool {}) ejected after {} consecutive failures", m.backend->name, m.backend->pool_name,
              m.detector.consecutive_failures());
    return true;
  }
  return false;
}

void report_and_count(Request& r, upstream::PoolMember& m, std::uint32_t member, Outcome outcome) {
  if (report(m, outcome)) r.ctx.gw.metrics.record_ejection(r.backend_id(member));
}

// Sets the status the client got; handle_request accounts the record once, after the answer.
gateway::Completion finish(RequestRecord& rec, int status, bool keep_alive) {
  rec.status = status;
  return gateway::Completion{keep_alive};
}

net::awaitable<gateway::Completion> answer_text(gateway::ClientRequest& req, int status, std::string_view content_type,
                                                std::string_view body, std::string_view location = {}) {
  http1::ResponseOptions o;
  o.version = req.msg.version();
  o.keep_alive = req.keep_alive;
  o.head_only = req.msg.method() == http::verb::head;
  o.request_id = req.request_id;
  std::string bytes = http1::simple_response(status, content_type, body, o);
  if (!location.empty()) {
    const auto end_of_status = bytes.find("\r\n") + 2;
    bytes.insert(end_of_status, "Location: " + std::string(location) + "\r\n");
  }
  const bool ok = co_await gateway::write_all(req.client, bytes);
  co_return gateway::Completion{ok && req.keep_alive};
}

// A gateway-made error answer, remembered in the record for metrics and the access log.
net::awaitable<gateway::Completion> fail(Request& r, ErrorKind kind, std::string_view detail = {},
                                         std::uint32_t retry_after = 0) {
  r.rec.status = error_info(kind).status;
  r.rec.error = kind;
  co_return co_await gateway::answer_error(r.req, kind, detail, retry_after);
}

// An answer in the route's error shape with a status outside the error table (409, an auto-pull's 502).
net::awaitable<gateway::Completion> refuse(Request& r, int status, std::string_view why) {
  r.rec.status = status;
  const std::string body = http1::error_body(r.req.route.family, status, why);
  co_return co_await answer_text(r.req, status, "application/json; charset=utf-8", body);
}

void reject_from_queue(Request& r, metrics::QueueRejection why) {
  r.ctx.gw.metrics.record_queue_rejection(r.pool_id(), why);
}

// --- Phase 1: resolve_target ---------------------------------------------------------------------------

// What the request goes to, from the facts the connection read once. Plain code: its one wait, for a
// session another replica placed, is adopt_shared_session's, entered only when there is something to ask.
void resolve_target(Request& r, placement::PickInput& t) {
  const gateway::ClientRequest& req = r.req;
  const config::Config& cfg = *r.snap->config;
  t.model_key = req.info.model_key;
  t.model_hash = t.model_key.empty() ? 0 : common::hash_key(t.model_key);
  t.snapshot = r.snap;
  t.pool = r.snap->matcher.pool_for(t.model_key);
  t.endpoint = req.route.endpoint;  // lifecycle: placement, pull slots, named backend, delete guard
  if (const auto named = req.msg.find("X-Corral-Backend"); named != req.msg.end()) t.target_backend = named->value();
  r.rec.model_key = t.model_key;
  r.rec.pool = static_cast<std::int32_t>(t.pool);
  r.model_hash = t.model_hash;
  // A call sent to every backend concerned at once has no one backend to stick to or to hash to.
  if (req.route.traits->fans_out) return;
  const upstream::PoolState& pool = r.snap->pools[t.pool];
  // t.tried stays empty until a retry needs it (the pick reads an empty one as "none tried"): most
  // requests have one attempt, and do not pay for the vector.
  if (r.snap->affinity && cfg.affinity) {
    t.session = header_hash(req.msg, cfg.affinity->header);
    if (!t.session && cfg.affinity->client_ip) t.session = common::hash_key(req.client_ip);
  }
  if (pool.config->hash_on.kind == config::HashOn::Kind::kHeader) {
    t.hash_on = header_hash(req.msg, pool.config->hash_on.header);
  } else if (pool.config->hash_on.kind == config::HashOn::Kind::kClientIp) {
    t.hash_on = common::hash_key(req.client_ip);
  }
}

// Another replica may have placed this session: adopt its backend (affinity ids are stable hashes of pool
// and URL, equal on every replica). Waits at most redis.timeout; nothing found keeps the local table.
net::awaitable<void> adopt_shared_session(Request& r, std::uint64_t session) {
  auto asking = r.ctx.gw.shared->get_affinity(std::to_string(session));
  const std::optional<std::string> placed = co_await std::move(asking);
  std::uint64_t id = 0;
  if (placed && std::from_chars(placed->data(), placed->data() + placed->size(), id).ec == std::errc{}) {
    r.snap->affinity->remember(session, id, std::chrono::steady_clock::now());
  }
}

// --- Phase 2: pre_route -------------------------------------------------------------------------------

// Phase 2 concerns management calls and models to auto-pull only: every other request skips it, and
// its coroutine frame.
bool wants_pre_route(const routing::Route& route, const placement::PickInput& t) {
  return route.traits->fans_out || fleet_ops::needs_auto_pull(route, t);
}

// The delete guard, the fan-out of management calls and the auto-pull, in that order; each may answer
// the request. Entered only when one applies (wants_pre_route). The auto-pull's wait is the first one
// under the disconnect watch.
net::awaitable<Handled> pre_route(Request& r, const placement::PickInput& t) {
  const routing::Route& route = r.req.route;
  if (route.endpoint == routing::Endpoint::kDelete) {
    if (auto why = models::delete_refusal(*r.snap, t.pool, t.model_key)) {
      r.rec.pool = -1;  // its metrics and log line have always named no pool
      co_return co_await refuse(r, 409, *why);
    }
  }
  if (route.traits->fans_out) {  // pull, create, copy, delete: to every backend concerned at once
    const fleet_ops::FanOutAnswer answer = co_await fleet_ops::fan_out(r.ctx, r.req, r.snap, t.pool);
    co_return finish(r.rec, answer.status, answer.done.keep_alive);
  }
  // The only reason left to be here: models[].auto_pull and no backend of the pool has the model.
  gateway::DisconnectWatch& watch = *r.req.watch;
  const auto armed = watch.arm();
  auto pulling = fleet_ops::auto_pull(std::make_shared<const placement::PickInput>(t), r.req.info.model);
  const std::optional<std::string> failed = co_await std::move(pulling);
  if (watch.gone()) co_return finish(r.rec, 499, false);
  if (failed) co_return co_await refuse(r, 502, *failed);
  co_return std::nullopt;
}

// --- Phase 3: attempt, judged by the retry policy -------------------------------------------------------

// Why admission gave no slot, with the queue's metric.
AttemptResult refused(Request& r, const upstream::PoolState& pool, admission::AdmitError e) {
  AttemptResult out{AttemptEnd::kRefused, std::nullopt, pool.queue->retry_after_seconds()};
  switch (e) {
    case admission::AdmitError::kCancelled:
      reject_from_queue(r, metrics::QueueRejection::client_gone);
      return AttemptResult{AttemptEnd::kClientGone};
    case admission::AdmitError::kQueueFull:
      reject_from_queue(r, metrics::QueueRejection::full);
      out.failure = ErrorKind::kQueueFull;
      return out;
    case admission::AdmitError::kQueueTimeout:
      reject_from_queue(r, metrics::QueueRejection::timeout);
      out.failure = ErrorKind::kQueueTimeout;
      return out;
    case admission::AdmitError::kNoBackend:
      break;
  }
  out.failure = ErrorKind::kNoEligibleBackend;
  return out;
}

// Records the pick: the backend, the wait, whether the model was warm there, the session's new home.
void note_pick(Request& r, placement::PickInput& t, std::uint32_t b, SteadyClock::time_point admit_start) {
  upstream::PoolMember& m = *r.snap->pools[t.pool].members[b];
  r.rec.backend = static_cast<std::int32_t>(b);
  r.rec.queued = true;
  r.rec.queue_wait = steady_now() - admit_start;
  // Loaded, not merely loading: the pick may have marked this backend loading for this very request.
  if (t.model_hash != 0) {
    const auto state = m.backend->catalog.find(t.model_hash);
    r.rec.was_warm = state && state->loaded.load(std::memory_order_relaxed);
  }
  if (!t.session) return;
  r.snap->affinity->remember(*t.session, m.backend->affinity_id, std::chrono::steady_clock::now());
  if (r.ctx.gw.shared != nullptr) {
    r.ctx.gw.shared->set_affinity(std::to_string(*t.session), std::to_string(m.backend->affinity_id),
                                  std::chrono::duration_cast<std::chrono::milliseconds>(r.snap->config->affinity->ttl));
  }
}

// The request head for `backend` (hop-by-hop fields dropped, Host and X-Forwarded-* set, our framing).
void upstream_head(const gateway::ClientRequest& req, const upstream::Backend& backend, std::string& head) {
  const std::string& body = req.msg.body();
  const http::verb method = req.msg.method();
  const bool with_body = !body.empty() || method == http::verb::post || method == http::verb::put ||
                         method == http::verb::patch;
  head.clear();
  const http1::ForwardContext fwd{backend.authority, backend.path_prefix, req.client_ip, req.request_id,
                                  req.client_tls};
  http1::build_upstream_head(head, req.msg, req.facts.origin_target, fwd, body.size(), with_body);
}

// What the exchange with member `b` means, reported once to the outlier detector: a failure before any
// response head, or an answer, which is itself a retryable failure when it is the backend's 503 busy or
// its own 502.
AttemptResult judge(Request& r, upstream::PoolMember& m, std::uint32_t b, const Answer& a) {
  if (a.ex.error) {
    report_and_count(r, m, b, a.ex.outcome);
    return AttemptResult{AttemptEnd::kFailed, a.ex.error->kind};
  }
  const unsigned status = a.parser->get().result_int();
  report_and_count(r, m, b, status == 503 ? Outcome::kBusy : status >= 500 ? Outcome::kServerError : Outcome::kSuccess);
  if (status == 503) return AttemptResult{AttemptEnd::kAnswered, ErrorKind::kUpstreamBusy};
  if (status == 502) return AttemptResult{AttemptEnd::kAnswered, ErrorKind::kUpstreamBadGateway};
  return AttemptResult{};
}

// One attempt: a slot on a backend, then the exchange up to the response head, which is left in `a`.
// Under the disconnect watch (armed by reach_backend); each await is followed by a gone() check, so a
// client that left is never taken for a backend failure.
net::awaitable<AttemptResult> attempt(Request& r, placement::PickInput& t, Answer& a) {
  gateway::ClientRequest& req = r.req;
  if (req.watch->gone()) {
    reject_from_queue(r, metrics::QueueRejection::client_gone);
    co_return AttemptResult{AttemptEnd::kClientGone};
  }
  a.lease = admission::Lease{};  // a retry gives the failed attempt's slot back before asking again
  const upstream::PoolState& pool = r.snap->pools[t.pool];
  const auto admit_start = steady_now();
  // When nobody waits, the pick happens right here; the TryPick (a copy of the input, a std::function and
  // a coroutine frame) is built only for a request that has to queue. No demand ticket: a request that
  // has not waited yet is neither counted as waiting nor passed over.
  auto admitted = pool.queue->admit_now([&](admission::PoolQueue& q) { return placement::try_pick(t, q, nullptr); });
  if (!admitted) {
    auto admitting = pool.queue->admit(placement::make_try_pick(std::make_shared<const placement::PickInput>(t)));
    admitted = co_await std::move(admitting);
  }
  if (req.watch->gone()) {
    if (!std::holds_alternative<admission::Lease>(*admitted)) reject_from_queue(r, metrics::QueueRejection::client_gone);
    co_return AttemptResult{AttemptEnd::kClientGone};
  }
  if (const auto* e = std::get_if<admission::AdmitError>(&*admitted)) co_return refused(r, pool, *e);
  a.lease = std::move(std::get<admission::Lease>(*admitted));  // held until the answer is relayed
  const std::uint32_t b = a.lease.backend();
  note_pick(r, t, b, admit_start);
  upstream::PoolMember& m = *pool.members[b];
  upstream_head(req, *m.backend, a.head);
  const std::shared_ptr<const upstream::Backend> backend = m.backend;
  co_await exchange(r.ctx.pool, backend, a.head, req.msg.body(), req.msg.method() == http::verb::head,
                    r.snap->config->timeouts, a.parser, a.ex);  // starts a.ex afresh: a retry closes the last one
  if (req.watch->gone()) {
    a.ex.conn.reset();  // closing is the backend's cancel signal
    co_return AttemptResult{AttemptEnd::kClientGone};
  }
  co_return judge(r, m, b, a);
}

// Phases 1 to 3: resolve the target, pre-route, then attempts until one is answered or the retry policy
// says no. Handled when the request ended here; nullopt when `a` holds the answer to relay.
net::awaitable<Handled> reach_backend(Request& r, Answer& a) {
  const gateway::ClientRequest& req = r.req;
  if (!req.info.ok()) co_return co_await fail(r, ErrorKind::kBadRequest, req.info.error_message);
  placement::PickInput target;  // copied into a TryPick only when the request has to wait in the queue
  resolve_target(r, target);
  if (target.session && r.ctx.gw.shared != nullptr) co_await adopt_shared_session(r, *target.session);
  if (wants_pre_route(req.route, target)) {
    if (Handled done = co_await pre_route(r, target)) co_return done;
  }

  const RetryPolicy policy{req.route.traits->retryable, r.snap->config->retries};  // management calls: never
  admission::RetryBudget& budget = *r.snap->retry_budget;
  budget.record_request(steady_now());  // at the first attempt: a long auto-pull does not age it out
  const auto armed = req.watch->arm();
  a.head.reserve(512);  // one allocation for both heads, not a string of doublings
  std::optional<ErrorKind> last_failure;  // what the client hears when no backend is left to try
  for (;;) {
    const AttemptResult tried = co_await attempt(r, target, a);
    if (tried.end == AttemptEnd::kClientGone) co_return finish(r.rec, 499, false);
    if (tried.end == AttemptEnd::kRefused) {
      const bool none_left = *tried.failure == ErrorKind::kNoEligibleBackend && last_failure;
      co_return co_await fail(r, none_left ? *last_failure : *tried.failure, {}, tried.retry_after);
    }
    if (!tried.failure || !policy.allows(*tried.failure, r.rec.retries, budget, steady_now())) {
      if (tried.end == AttemptEnd::kAnswered) co_return std::nullopt;  // relayed as it is
      co_return co_await fail(r, *tried.failure);
    }
    ++r.rec.retries;
    if (target.tried.empty()) target.tried.assign(r.snap->pools[target.pool].members.size(), false);
    target.tried[static_cast<std::size_t>(r.rec.backend)] = true;
    r.ctx.gw.metrics.record_retry(r.backend_id(static_cast<std::uint32_t>(r.rec.backend)));
    last_failure = tried.failure;  // an unread answer is dropped with its connection
  }
}

// --- Phase 4: relay -------------------------------------------------------------------------------------

// Counters from the final object, for endpoints that generate and answered 200.
void take_final_counts(RequestRecord& rec, const http1::TailWindow& tail) {
  const http1::FinalCounts c = http1::scan_final_object(tail.view());
  rec.prompt_tokens = c.prompt_tokens;
  rec.completion_tokens = c.completion_tokens;
  rec.eval_duration = c.eval_duration;
  rec.load_duration = c.load_duration;
}

// The client's response head for the backend's answer, and how its body is framed: the backend's
// Content-Length when it sent one, else chunked (HTTP/1.1) or delimited by closing (HTTP/1.0).
http1::ClientFraming client_head(const Request& r, const upstream::ResponseParser& p, bool keep_alive,
                                 std::string& head) {
  const auto& upstream = p.get();
  const unsigned status = upstream.result_int();
  http1::ResponseHeadSpec spec;
  spec.version = r.req.msg.version();
  spec.request_id = r.req.request_id;
  http1::ClientFraming framing = http1::ClientFraming::kNone;
  if (r.req.msg.method() == http::verb::head) {
    if (const auto cl = upstream.find(http::field::content_length); cl != upstream.end()) {
      std::uint64_t n = 0;
      const std::string_view v = cl->value();
      if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc{}) spec.content_length = n;
    }
  } else if (status != 204 && status != 304) {
    if (const auto n = p.content_length()) {
      spec.content_length = *n;
      framing = http1::ClientFraming::kContentLength;
    } else if (spec.version >= 11) {
      spec.chunked = true;
      framing = http1::ClientFraming::kChunked;
    } else {
      keep_alive = false;
      framing = http1::ClientFraming::kClose;
    }
  }
  spec.keep_alive = keep_alive;
  head.clear();  // the upstream request's head is sent: its storage is reused
  http1::build_response_head(head, upstream, spec);
  return framing;
}

// The backend broke or went silent mid-body: report it, close its connection (the backend's cancel
// signal) and, on a chunked stream, end with the stream's own error line but no terminal chunk, so the
// cut stays visible to the client.
net::awaitable<gateway::Completion> cut_stream(Request& r, Answer& a, const http1::RelayResult& relayed,
                                               http1::ClientFraming framing) {
  const bool idle = relayed.end == http1::RelayEnd::kUpstreamIdle;
  const std::uint32_t b = a.lease.backend();
  report_and_count(r, *r.snap->pools[static_cast<std::size_t>(r.rec.pool)].members[b],
                   b, idle ? Outcome::kTimeout : Outcome::kConnectFailure);
  a.ex.conn.reset();
  r.rec.truncated = true;
  r.rec.error = idle ? ErrorKind::kStreamIdleTimeout : ErrorKind::kUpstreamStreamError;
  if (framing == http1::ClientFraming::kChunked) {
    const ProxyError e{*r.rec.error, {}};
    const auto format = http1::stream_format(a.parser->get()[http::field::content_type]);
    const std::string line = http1::error_tail(format, r.req.route.family, e.message(), relayed.last);
    if (!line.empty()) {
      (void)co_await http1::write_piece(r.req.client, framing, line.data(), line.size(),
                                        r.snap->config->timeouts.stream_idle);
    }
  }
  co_return finish(r.rec, static_cast<int>(a.parser->get().result_int()), false);
}

// The backend broke or went silent before anything reached the client (its head was waiting to go out
// with the first body bytes): the client gets a whole error answer in its route's shape instead of a
// stream cut before it began, and its connection can go on. Not retried: the backend answered a head,
// so it took the request and may be running it (as for an unparsable head, the error table retries
// none of these kinds).
net::awaitable<gateway::Completion> answer_unsent(Request& r, Answer& a, const http1::RelayResult& relayed) {
  const bool idle = relayed.end == http1::RelayEnd::kUpstreamIdle;
  const error_code& ec = relayed.ec;
  const bool bad_framing = ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
                           ec != http::error::partial_message && ec != http::error::end_of_stream;
  const std::uint32_t b = a.lease.backend();
  report_and_count(r, *r.snap->pools[static_cast<std::size_t>(r.rec.pool)].members[b], b,
                   idle ? Outcome::kTimeout : bad_framing ? Outcome::kServerError : Outcome::kConnectFailure);
  a.ex.conn.reset();
  const ErrorKind kind = idle          ? ErrorKind::kStreamIdleTimeout
                         : bad_framing ? ErrorKind::kUpstreamBadResponse
                                       : ErrorKind::kUpstreamStreamError;
  co_return co_await fail(r, kind);
}

// Writes the response head and relays the body of the answer in `a`; says whether the connection goes on.
net::awaitable<gateway::Completion> relay(Request& r, Answer& a) {
  gateway::ClientRequest& req = r.req;
  upstream::PoolMember& m = *r.snap->pools[static_cast<std::size_t>(r.rec.pool)].members[a.lease.backend()];
  upstream::ResponseParser& p = *a.parser;
  const unsigned status = p.get().result_int();
  const bool keep_alive = req.keep_alive && !r.ctx.gw.draining.load(std::memory_order_relaxed);
  const http1::ClientFraming framing = client_head(r, p, keep_alive, a.head);
  const bool keep = keep_alive && framing != http1::ClientFraming::kClose;
  const http1::RelayTimeouts timeouts{r.snap->config->timeouts.stream_idle, r.snap->config->timeouts.stream_idle};
  http1::TailWindow tail;
  const http1::RelayResult relayed = co_await http1::relay_response(
      req.client, std::move(a.head), framing, a.ex.conn->stream, a.ex.conn->buffer, p, timeouts, req.relay_buffers, &tail);
  r.rec.bytes_out = relayed.body_bytes;
  if (relayed.end != http1::RelayEnd::kComplete && req.watch->gone()) co_return finish(r.rec, 499, false);
  if (relayed.writes > 0) r.rec.ttfb = relayed.first_write - r.rec.started;
  switch (relayed.end) {
    case http1::RelayEnd::kComplete:
      if (p.keep_alive() && a.ex.conn->buffer.size() == 0) r.ctx.pool.give_back(m.backend->uid, std::move(a.ex.conn));
      if (status == 200 && r.model_hash != 0) {
        take_final_counts(r.rec, tail);
        m.backend->catalog.mark_served(r.model_hash, r.rec.load_duration);  // lifecycle
      }
      co_return finish(r.rec, static_cast<int>(status), keep);
    case http1::RelayEnd::kUpstreamFailed:
    case http1::RelayEnd::kUpstreamIdle:
      if (!relayed.head_written) co_return co_await answer_unsent(r, a, relayed);
      co_return co_await cut_stream(r, a, relayed, framing);
    case http1::RelayEnd::kClientFailed:
      break;
  }
  co_return finish(r.rec, 499, false);
}

// --- Dispatch -------------------------------------------------------------------------------------------

// The gateway's own small answers: 404, 405, trailing-slash redirects, the fleet-wide lists and `/`.
bool answered_here(const routing::Route& route) {
  switch (route.kind) {
    case routing::RouteKind::kNotFound:
    case routing::RouteKind::kMethodNotAllowed:
    case routing::RouteKind::kRedirect:
    case routing::RouteKind::kAggregate:
      return true;
    default:
      return route.endpoint == routing::Endpoint::kRoot;
  }
}

net::awaitable<gateway::Completion> answer_here(Request& r) {
  gateway::ClientRequest& req = r.req;
  switch (req.route.kind) {
    case routing::RouteKind::kNotFound:
      co_return co_await fail(r, ErrorKind::kNotFound);
    case routing::RouteKind::kMethodNotAllowed:
      co_return co_await fail(r, ErrorKind::kMethodNotAllowed);
    case routing::RouteKind::kRedirect: {
      // gin's RedirectTrailingSlash: 301 for GET/HEAD, 307 otherwise; the query goes along.
      std::string location(req.route.redirect_path);
      const auto q = req.facts.origin_target.find('?');
      if (q != std::string_view::npos) location += req.facts.origin_target.substr(q);
      const bool get = req.msg.method() == http::verb::get || req.msg.method() == http::verb::head;
      r.rec.status = get ? 301 : 307;
      co_return co_await answer_text(req, r.rec.status, "", "", location);
    }
    case routing::RouteKind::kAggregate:
      r.rec.status = 200;  // the merge answers 200 even when backends fail (as Ollama lists nothing)
      co_return co_await fleet_ops::aggregate(r.ctx, req);
    default:
      r.rec.status = 200;
      co_return co_await answer_text(req, 200, "text/plain; charset=utf-8", "Ollama is running");
  }
}

}  // namespace

// The request's whole life: answered here, or reach_backend then relay; accounted once, whatever the
// path (every path sets r.rec.status). The Answer lives in this frame, so the relay runs after the
// frames of the phases before it are gone.
net::awaitable<gateway::Completion> handle_request(gateway::ProxyContext& ctx, gateway::ClientRequest& req) {
  Request r{ctx, req, ctx.gw.registry.current(), {}, ctx.gw.metric_ids.load()};
  r.rec.started = req.started;
  r.rec.endpoint = req.route.endpoint;
  r.rec.bytes_in = req.msg.body().size();
  gateway::Completion done;
  if (answered_here(req.route)) {
    done = co_await answer_here(r);
  } else {
    Answer answer;
    try {
      if (const Handled before = co_await reach_backend(r, answer)) {
        done = *before;
      } else {
        const auto armed = req.watch->arm();
        if (req.watch->gone()) {
          done = finish(r.rec, 499, false);  // left before the relay: its connection closes with `answer`
        } else {
          done = co_await relay(r, answer);
        }
      }
    } catch (const boost::system::system_error&) {
      // After the watch cancelled this coroutine, Asio throws operation_aborted from the next operation
      // it awaits (throw_if_cancelled): a client that left between two operations ends up here.
      if (!req.watch->gone()) throw;
      done = finish(r.rec, 499, false);
    }
  }
  r.rec.duration = steady_now() - r.rec.started;
  account(ctx.gw, *r.snap, req, r.rec);
  req.completion_tokens = r.rec.completion_tokens;
  co_return done;
}

}  // namespace corral::proxy
