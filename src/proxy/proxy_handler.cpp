// Retry rules (reliability.md section 0.3, style.md section 6): a failed attempt goes to another backend
// only while nothing has reached the client, only for failures the table marks retryable (connect
// failures, a close before the response head, Ollama's 503 busy or a 502), never for management calls,
// at most `retries` times and only within the retry budget. A first-byte timeout is never retried (the
// request may be running and a second backend would load the model again). Every wait (queue, connect,
// first byte, stream) runs under the client's disconnect watch (net/disconnect_watch.hpp), so a client
// that leaves cancels it and closes its upstream.
#include "proxy/proxy_handler.hpp"

#include <charconv>
#include <span>

#include "common/log.hpp"
#include "http/error_response.hpp"
#include "http/headers.hpp"
#include "common/hash.hpp"
#include "models/delete_guard.hpp"
#include "upstream/model_state.hpp"
#include "gateway/disconnect_watch.hpp"
#include "proxy/accounting.hpp"
#include "fleet_ops/aggregate.hpp"
#include "fleet_ops/auto_pull.hpp"
#include "placement/backend_pick.hpp"
#include "http/body_relay.hpp"
#include "http/final_object.hpp"
#include "fleet_ops/management_fanout.hpp"
#include "proxy/request_record.hpp"
#include "upstream/upstream_exchange.hpp"
#include "routing/model_name.hpp"
#include "routing/request_info.hpp"
#include "shared_state/shared_store.hpp"
#include "upstream/backend.hpp"

namespace corral::proxy {
namespace {

using namespace net::experimental::awaitable_operators;
using upstream::Outcome;

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
  const auto now = std::chrono::steady_clock::now();
  if (outcome == Outcome::kSuccess) {
    if (!m.failing.load(std::memory_order_relaxed)) return false;
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

struct Forward {
  gateway::ProxyContext& ctx;
  gateway::ClientRequest& req;
  upstream::SnapshotPtr snap;
  RequestRecord rec;
  std::shared_ptr<const gateway::MetricIds> ids;  ///< may be stale (a reload in between): ids() checks
  std::string head;  ///< the upstream request's head, then the client's response head (one allocation)
  // The answer forward() got and leaves for dispatch() to relay: the relay runs after forward's frame is
  // gone, so that an open stream does not keep it (about 2 KiB of locals per stream, issue 8).
  std::optional<upstream::ResponseParser> parser;
  upstream::ExchangeResult ex;
  bool answered = false;   ///< ex/parser hold the answer of the backend `lease` names, to be relayed
  admission::Lease lease;  ///< the backend's slot: taken by forward(), held until the relay ends
  std::uint64_t model_hash = 0;

  [[nodiscard]] metrics::BackendId backend_id(std::uint32_t member) const {
    if (!ids || ids->generation != snap->generation) return metrics::kNoBackend;
    return ids->backend(rec.pool, static_cast<std::int32_t>(member));
  }
  [[nodiscard]] metrics::PoolId pool_id() const {
    return ids && ids->generation == snap->generation ? ids->pool(rec.pool) : metrics::kNoPool;
  }
};

// A gateway-made error answer, remembered in the record for metrics and the access log.
net::awaitable<gateway::Completion> fail(Forward& f, ErrorKind kind, std::string_view detail = {},
                                std::uint32_t retry_after = 0) {
  f.rec.status = error_info(kind).status;
  f.rec.error = kind;
  co_return co_await gateway::answer_error(f.req, kind, detail, retry_after);
}

void reject_from_queue(Forward& f, metrics::QueueRejection why) {
  f.ctx.gw.metrics.record_queue_rejection(f.pool_id(), why);
}

// Counters from the final object, for endpoints that generate and answered 200.
void take_final_counts(RequestRecord& rec, const http1::TailWindow& tail) {
  const http1::FinalCounts c = http1::scan_final_object(tail.view());
  rec.prompt_tokens = c.prompt_tokens;
  rec.completion_tokens = c.completion_tokens;
  rec.eval_duration = c.eval_duration;
  rec.load_duration = c.load_duration;
}

// Writes the response head and relays the body of the answer forward() left in `f`; accounts and says
// whether the connection goes on.
net::awaitable<gateway::Completion> relay(Forward& f) {
  gateway::ClientRequest& req = f.req;
  upstream::PoolMember& m = *f.snap->pools[static_cast<std::size_t>(f.rec.pool)].members[f.lease.backend()];
  upstream::ResponseParser& p = *f.parser;
  upstream::ExchangeResult& ex = f.ex;
  const std::uint64_t model_hash = f.model_hash;
  const config::Config& cfg = *f.snap->config;
  const auto& upstream = p.get();
  const unsigned status = upstream.result_int();
  const bool is_head = req.msg.method() == http::verb::head;
  bool keep = req.keep_alive && !f.ctx.gw.draining.load(std::memory_order_relaxed);
  http1::ResponseHeadSpec spec;
  spec.version = req.msg.version();
  spec.request_id = req.request_id;
  http1::ClientFraming framing = http1::ClientFraming::kNone;
  if (is_head) {
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
      keep = false;  // HTTP/1.0 client and a body of unknown length: delimited by closing
      framing = http1::ClientFraming::kClose;
    }
  }
  spec.keep_alive = keep;
  std::string& head = f.head;  // the upstream request's head is sent: its storage is reused
  head.clear();
  http1::build_response_head(head, upstream, spec);
  const http1::RelayTimeouts timeouts{cfg.timeouts.stream_idle, cfg.timeouts.stream_idle};
  http1::TailWindow tail;
  const http1::RelayResult r = co_await http1::relay_response(req.client, std::move(head), framing, ex.conn->stream,
                                                ex.conn->buffer, p, timeouts, req.relay_buffers, &tail);
  f.rec.bytes_out = r.body_bytes;
  if (r.end != http1::RelayEnd::kComplete && req.watch->gone()) co_return finish(f.rec, 499, false);  // cancelled by the watch
  if (r.writes > 0) f.rec.ttfb = r.first_write - f.rec.started;
  switch (r.end) {
    case http1::RelayEnd::kComplete:
      if (p.keep_alive() && ex.conn->buffer.size() == 0) f.ctx.pool.give_back(m.backend->uid, std::move(ex.conn));
      if (status == 200 && model_hash != 0) take_final_counts(f.rec, tail);
      if (model_hash != 0 && status == 200) m.backend->catalog.mark_served(model_hash, f.rec.load_duration);  // lifecycle
      co_return finish(f.rec, static_cast<int>(status), keep);
    case http1::RelayEnd::kUpstreamFailed:
    case http1::RelayEnd::kUpstreamIdle: {
      const bool idle = r.end == http1::RelayEnd::kUpstreamIdle;
      if (report(m, idle ? Outcome::kTimeout : Outcome::kConnectFailure)) {
        f.ctx.gw.metrics.record_ejection(f.backend_id(static_cast<std::uint32_t>(f.rec.backend)));
      }
      ex.conn.reset();  // closing is the backend's cancel signal
      f.rec.truncated = true;
      f.rec.error = idle ? ErrorKind::kStreamIdleTimeout : ErrorKind::kUpstreamStreamError;
      if (framing == http1::ClientFraming::kChunked) {
        const ProxyError e{r.end == http1::RelayEnd::kUpstreamIdle ? ErrorKind::kStreamIdleTimeout
                                                            : ErrorKind::kUpstreamStreamError, {}};
        const std::string line = http1::error_tail(http1::stream_format(upstream[http::field::content_type]), e.message(), r.last);
        if (!line.empty()) (void)co_await http1::write_piece(req.client, framing, line.data(), line.size(), timeouts.client_write);
      }
      co_return finish(f.rec, static_cast<int>(status), false);  // no terminal chunk: the cut stays visible
    }
    case http1::RelayEnd::kClientFailed:
      co_return finish(f.rec, 499, false);
  }
  co_return finish(f.rec, static_cast<int>(status), false);
}

net::awaitable<gateway::Completion> forward(Forward& f) {
  gateway::ClientRequest& req = f.req;
  const config::Config& cfg = *f.snap->config;
  const routing::Route& route = req.route;
  placement::PickInput input;  // copied into a TryPick only when the request has to wait in the queue
  if (!req.info.ok()) co_return co_await fail(f, ErrorKind::kBadRequest, req.info.error_message);
  input.model_key = req.info.model_key;
  f.rec.model_key = input.model_key;
  input.model_hash = input.model_key.empty() ? 0 : common::hash_key(input.model_key);
  input.snapshot = f.snap;
  input.pool = f.snap->matcher.pool_for(input.model_key);
  input.endpoint = route.endpoint;  // lifecycle: placement, pull slots, named backend, delete guard
  if (const auto named = req.msg.find("X-Corral-Backend"); named != req.msg.end()) input.target_backend = named->value();
  if (route.endpoint == routing::Endpoint::kDelete) {
    if (auto why = models::delete_refusal(*f.snap, input.pool, input.model_key)) {
      f.rec.status = 409;
      co_return co_await answer_text(req, 409, "application/json; charset=utf-8", http1::error_body(req.route.family, 409, *why));
    }
  }
  f.rec.pool = static_cast<std::int32_t>(input.pool);
  if (routing::fans_out(route.endpoint)) {  // pull, create, copy, delete: to every backend concerned at once
    const fleet_ops::FanOutAnswer answer = co_await fleet_ops::fan_out(f.ctx, req, f.snap, input.pool);
    co_return finish(f.rec, answer.status, answer.done.keep_alive);
  }
  const upstream::PoolState& pool = f.snap->pools[input.pool];
  input.tried.assign(pool.members.size(), false);
  if (f.snap->affinity && cfg.affinity) {
    input.session = header_hash(req.msg, cfg.affinity->header);
    if (!input.session && cfg.affinity->client_ip) input.session = common::hash_key(req.client_ip);
  }
  if (input.session && f.ctx.gw.shared != nullptr) {
    // Another replica may have placed this session: adopt its backend (affinity ids are stable hashes of
    // pool and URL, equal on every replica). Waits at most redis.timeout; nothing found keeps the local table.
    auto asking = f.ctx.gw.shared->get_affinity(std::to_string(*input.session));
    const std::optional<std::string> placed = co_await std::move(asking);
    std::uint64_t id = 0;
    if (placed && std::from_chars(placed->data(), placed->data() + placed->size(), id).ec == std::errc{}) {
      f.snap->affinity->remember(*input.session, id, std::chrono::steady_clock::now());
    }
  }
  if (pool.config->hash_on.kind == config::HashOn::Kind::kHeader) {
    input.hash_on = header_hash(req.msg, pool.config->hash_on.header);
  } else if (pool.config->hash_on.kind == config::HashOn::Kind::kClientIp) {
    input.hash_on = common::hash_key(req.client_ip);
  }

  const bool retryable_route = route.kind != routing::RouteKind::kManagement;
  const std::uint32_t max_retries = retryable_route ? cfg.retries : 0;
  f.snap->retry_budget->record_request(std::chrono::steady_clock::now());
  const std::string& body = req.msg.body();
  const bool with_body = !body.empty() || req.msg.method() == http::verb::post ||
                         req.msg.method() == http::verb::put || req.msg.method() == http::verb::patch;
  const bool is_head = req.msg.method() == http::verb::head;
  std::optional<ProxyError> last_error;
  std::optional<upstream::ResponseParser>& parser = f.parser;
  std::string& head = f.head;
  head.reserve(512);  // one allocation for both heads, not a string of doublings

  // From here on a client that leaves cancels what this request awaits (queue wait, connect, first byte,
  // stream); each armed await is followed by a gone() check, so its outcome is not mistaken for a
  // backend failure (no outlier report, no retry).
  gateway::DisconnectWatch& watch = *req.watch;
  const auto armed = watch.arm();
  if (fleet_ops::needs_auto_pull(route, input)) {  // models[].auto_pull and no backend of the pool has it: pull it first
    auto pulling = fleet_ops::auto_pull(std::make_shared<const placement::PickInput>(input), req.info.model);
    const std::optional<std::string> failed = co_await std::move(pulling);
    if (watch.gone()) co_return finish(f.rec, 499, false);
    if (failed) {
      f.rec.status = 502;
      const std::string why = http1::error_body(route.family, 502, *failed);
      co_return co_await answer_text(req, 502, "application/json; charset=utf-8", why);
    }
  }
  for (;;) {
    if (watch.gone()) {
      reject_from_queue(f, metrics::QueueRejection::client_gone);
      co_return finish(f.rec, 499, false);
    }
    f.lease = admission::Lease{};  // a retry gives the failed attempt's slot back before asking again
    const auto admit_start = steady_now();
    // When nobody waits, the pick happens right here; the TryPick (a copy of the input, a std::function and
    // a coroutine frame) is built only for a request that has to queue (issue 8).
    // No demand ticket: a request that has not waited yet is neither counted as waiting nor passed over.
    auto admitted_now = pool.queue->admit_now([&](admission::PoolQueue& q) { return placement::try_pick(input, q, nullptr); });
    if (!admitted_now) {
      auto admitting = pool.queue->admit(placement::make_try_pick(std::make_shared<const placement::PickInput>(input)));
      admitted_now = co_await std::move(admitting);
    }
    auto& admitted = *admitted_now;
    if (watch.gone()) {
      if (!std::holds_alternative<admission::Lease>(admitted)) reject_from_queue(f, metrics::QueueRejection::client_gone);
      co_return finish(f.rec, 499, false);
    }
    if (const auto* e = std::get_if<admission::AdmitError>(&admitted)) {
      const std::uint32_t retry_after = pool.queue->retry_after_seconds();
      switch (*e) {
        case admission::AdmitError::kCancelled:
          reject_from_queue(f, metrics::QueueRejection::client_gone);
          co_return finish(f.rec, 499, false);
        case admission::AdmitError::kQueueFull:
          reject_from_queue(f, metrics::QueueRejection::full);
          co_return co_await fail(f, ErrorKind::kQueueFull, {}, retry_after);
        case admission::AdmitError::kQueueTimeout:
          reject_from_queue(f, metrics::QueueRejection::timeout);
          co_return co_await fail(f, ErrorKind::kQueueTimeout, {}, retry_after);
        case admission::AdmitError::kNoBackend:
          if (last_error) co_return co_await fail(f, last_error->kind, last_error->detail, retry_after);
          co_return co_await fail(f, ErrorKind::kNoEligibleBackend, {}, retry_after);
      }
    }
    f.lease = std::move(std::get<admission::Lease>(admitted));  // held until the answer is relayed
    const std::uint32_t b = f.lease.backend();
    upstream::PoolMember& m = *pool.members[b];
    input.tried[b] = true;
    f.rec.backend = static_cast<std::int32_t>(b);
    f.rec.queued = true;
    f.rec.queue_wait = steady_now() - admit_start;
    // Loaded, not merely loading: the pick may have marked this backend loading for this very request.
    if (input.model_hash != 0) {
      const auto state = m.backend->catalog.find(input.model_hash);
      f.rec.was_warm = state && state->loaded.load(std::memory_order_relaxed);
    }
    if (input.session) f.snap->affinity->remember(*input.session, m.backend->affinity_id, std::chrono::steady_clock::now());
    if (input.session && f.ctx.gw.shared != nullptr) {
      f.ctx.gw.shared->set_affinity(std::to_string(*input.session), std::to_string(m.backend->affinity_id),
                                    std::chrono::duration_cast<std::chrono::milliseconds>(cfg.affinity->ttl));
    }

    head.clear();
    const http1::ForwardContext fwd{m.backend->authority, m.backend->path_prefix, req.client_ip, req.request_id, req.client_tls};
    http1::build_upstream_head(head, req.msg, req.facts.origin_target, fwd, body.size(), with_body);
    upstream::ExchangeResult& ex = f.ex;  // exchange() starts it afresh (a retry closes the previous connection)
    std::shared_ptr<const upstream::Backend> backend = m.backend;
    co_await exchange(f.ctx.pool, backend, head, body, is_head, cfg.timeouts, parser, ex);
    if (watch.gone()) {
      ex.conn.reset();  // closing is the backend's cancel signal
      co_return finish(f.rec, 499, false);
    }

    const bool can_retry = f.rec.retries < max_retries;
    if (ex.error) {
      if (report(m, ex.outcome)) f.ctx.gw.metrics.record_ejection(f.backend_id(b));
      if (ex.error->retryable() && can_retry && f.snap->retry_budget->try_retry(std::chrono::steady_clock::now())) {
        last_error = ex.error;
        ++f.rec.retries;
        f.ctx.gw.metrics.record_retry(f.backend_id(b));
        continue;
      }
      co_return co_await fail(f, ex.error->kind, ex.error->detail);
    }
    const unsigned status = parser->get().result_int();
    const bool busy = status == 503;
    if (report(m, busy ? Outcome::kBusy : status >= 500 ? Outcome::kServerError : Outcome::kSuccess)) {
      f.ctx.gw.metrics.record_ejection(f.backend_id(b));
    }
    if (retryable_route && (busy || status == 502) && can_retry &&
        f.snap->retry_budget->try_retry(std::chrono::steady_clock::now())) {
      last_error = busy ? ProxyError{ErrorKind::kUpstreamBusy, {}}
                        : ProxyError{ErrorKind::kUpstreamBadResponse, "upstream answered 502 Bad Gateway"};
      ++f.rec.retries;
      f.ctx.gw.metrics.record_retry(f.backend_id(b));
      continue;  // the unread answer is dropped with its connection
    }
    f.answered = true;  // dispatch() relays it, once this frame is gone
    f.model_hash = input.model_hash;
    co_return gateway::Completion{};
  }
}

// Everything but the observability pages; sets f.rec.status on every path.
net::awaitable<gateway::Completion> dispatch(Forward& f) {
  gateway::ClientRequest& req = f.req;
  switch (req.route.kind) {
    case routing::RouteKind::kNotFound:
      co_return co_await fail(f, ErrorKind::kNotFound);
    case routing::RouteKind::kMethodNotAllowed:
      co_return co_await fail(f, ErrorKind::kMethodNotAllowed);
    case routing::RouteKind::kRedirect: {
      // gin's RedirectTrailingSlash: 301 for GET/HEAD, 307 otherwise; the query goes along.
      std::string location(req.route.redirect_path);
      const auto q = req.facts.origin_target.find('?');
      if (q != std::string_view::npos) location += req.facts.origin_target.substr(q);
      const bool get = req.msg.method() == http::verb::get || req.msg.method() == http::verb::head;
      f.rec.status = get ? 301 : 307;
      co_return co_await answer_text(req, f.rec.status, "", "", location);
    }
    case routing::RouteKind::kAggregate:
      f.rec.status = 200;  // the merge answers 200 even when backends fail (as Ollama lists nothing)
      co_return co_await fleet_ops::aggregate(f.ctx, req);
    default:
      break;
  }
  if (req.route.endpoint == routing::Endpoint::kRoot) {
    f.rec.status = 200;
    co_return co_await answer_text(req, 200, "text/plain; charset=utf-8", "Ollama is running");
  }
  try {
    const gateway::Completion done = co_await forward(f);
    if (!f.answered) co_return done;
    gateway::DisconnectWatch& watch = *req.watch;
    const auto armed = watch.arm();
    if (watch.gone()) {
      f.ex.conn.reset();
      co_return finish(f.rec, 499, false);
    }
    co_return co_await relay(f);
  } catch (const boost::system::system_error&) {
    // After the watch cancelled this coroutine, Asio throws operation_aborted from the next operation
    // it awaits (throw_if_cancelled): a client that left between two operations ends up here.
    if (!req.watch->gone()) throw;
  }
  co_return finish(f.rec, 499, false);
}

}  // namespace

net::awaitable<gateway::Completion> handle_request(gateway::ProxyContext& ctx, gateway::ClientRequest& req) {
  Forward f{ctx, req, ctx.gw.registry.current(), {}, ctx.gw.metric_ids.load()};
  f.rec.started = req.started;
  f.rec.endpoint = req.route.endpoint;
  f.rec.bytes_in = req.msg.body().size();
  const gateway::Completion done = co_await dispatch(f);
  f.rec.duration = steady_now() - f.rec.started;
  account(ctx.gw, *f.snap, req, f.rec);
  req.completion_tokens = f.rec.completion_tokens;
  co_return done;
}

}  // namespace corral::proxy
