#include "sim/inference_handler.hpp"

#include <ctime>
#include <optional>

#include "common/go_json.hpp"
#include "common/model_name.hpp"
#include "sim/ollama_json.hpp"
#include "sim/prompt_cache.hpp"
#include "sim/text_generator.hpp"
#include "sim/wire_format.hpp"

namespace corral::sim {
namespace {

using namespace net::experimental::awaitable_operators;

constexpr std::string_view kBusy = "server busy, please try again.  maximum pending requests exceeded";

bool generates(Api api) { return api != Api::kEmbed && api != Api::kEmbeddings && api != Api::kOaiEmbeddings; }

// One admitted request, shared by the fast and the slow path.
struct Job {
  Api api = Api::kGenerate;
  InferenceRequest req;
  TimePoint start;
  TimePoint granted;
  std::optional<RequestFaults> faults;
  bool client_gone = false;
  int cache_slot = -1;  ///< the prompt-cache slot held beside the scheduler slot (-1: none)
};

// The slot a request holds (with the prompt-cache slot its job took); gives both back, or abandons its
// load, however the request ends.
class Lease final {
 public:
  enum class State { kNone, kSlot, kLoading };
  Lease(SimState& state, std::string_view key, const int& cache_slot, State s = State::kNone)
      : state_(state), key_(key), cache_slot_(cache_slot), state_kind_(s) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() {
    if (state_kind_ == State::kSlot) state_.release(key_, cache_slot_);
    if (state_kind_ == State::kLoading) state_.abort_load(key_);
  }
  void set(State s) { state_kind_ = s; }

 private:
  SimState& state_;
  std::string_view key_;  // the connection's key buffer, stable until the next request
  const int& cache_slot_;
  State state_kind_;
};

std::int64_t ns_since(TimePoint from, TimePoint to) {
  const auto d = std::chrono::duration_cast<Nanos>(to - from).count();
  return d > 0 ? d : 1;  // Ollama's durations are never zero once measured (and zero would be omitted)
}

std::uint64_t next_random() {
  thread_local std::uint64_t s = static_cast<std::uint64_t>(std::time(nullptr)) * 0x9E3779B97F4A7C15ull;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

int default_num_ctx(std::uint64_t vram) {
  constexpr std::uint64_t kGiB = 1ull << 30;
  return vram >= 47 * kGiB ? 262144 : vram >= 23 * kGiB ? 32768 : 4096;
}

net::awaitable<void> send_error(Connection& c, Api api, int status, std::string_view message, bool middleware = false) {
  c.body.clear();
  if (is_openai(api)) {
    append_oai_error(c.body, status, message);
    // Errors raised by the OpenAI middleware itself go out through gin's c.JSON; errors of the native
    // handler are re-encoded by its writer with json.Encoder (plain type, trailing newline).
    if (!middleware) c.body += '\n';
    co_await c.respond(status, middleware ? kJson : kJsonPlain, c.body);
  } else {
    append_error(c.body, message);
    co_await c.respond(status, kJson, c.body);
  }
}

std::string not_found_text(Api api, std::string_view model) {
  if (!generates(api)) return "model \"" + std::string(model) + "\" not found, try pulling it first";
  return "model '" + std::string(model) + "' not found";
}

// Sleeps on `timer` until `t`. False when cancelled (the client left).
net::awaitable<bool> sleep_until(SteadyTimer& timer, TimePoint t) {
  timer.expires_at(t);
  auto [ec] = co_await timer.async_wait();
  co_return !ec;
}

net::awaitable<void> answer_command(Connection& c, Api api, std::string_view model, std::string_view reason) {
  c.body.clear();
  FinalStats s;
  s.done_reason = reason;
  if (api == Api::kChat) append_chat_final(c.body, model, "", s);
  else append_generate_final(c.body, model, "", s, nullptr);
  co_await c.respond(200, kJson, c.body);
}

net::awaitable<void> answer_embeddings(SimContext& ctx, Connection& c, Job& job, int prompt_tokens, TimePoint now) {
  const auto& req = job.req;
  const int dims = req.dimensions > 0 ? std::min(req.dimensions, 8192) : 768;
  std::vector<std::vector<float>> vectors;
  if (job.api == Api::kEmbeddings) {
    c.body.clear();
    append_embedding(c.body, req.empty_prompt ? std::vector<float>{} : pseudo_embedding(ctx.options.seed, req.prompt, dims, false));
    co_await c.respond(200, kJson, c.body);
    co_return;
  }
  for (auto in : req.inputs) vectors.push_back(pseudo_embedding(ctx.options.seed, in, dims, true));
  c.body.clear();
  if (job.api == Api::kOaiEmbeddings) {
    append_oai_embeddings(c.body, req.model, vectors, req.base64, prompt_tokens);
    co_await c.respond(200, kJsonPlain, c.body);
  } else {
    FinalStats s;
    s.total_duration = ns_since(job.start, now);
    s.load_duration = ns_since(job.start, job.granted);
    s.prompt_eval_count = prompt_tokens;
    append_embed(c.body, req.model, vectors, s);
    co_await c.respond(200, kJson, c.body);
  }
}

// Builds one streamed piece for `api` into c.line (NDJSON line or SSE event).
void stream_piece(Connection& c, const Job& job, const OaiIds& ids, bool first, std::string_view token) {
  c.line.clear();
  switch (job.api) {
    case Api::kGenerate: append_generate_chunk(c.line, job.req.model, token); c.line += '\n'; return;
    case Api::kChat: append_chat_chunk(c.line, job.req.model, token); c.line += '\n'; return;
    case Api::kOaiChat: c.line += "data: "; append_oai_chat_chunk(c.line, ids, first, token); break;
    default: c.line += "data: "; append_oai_completion_chunk(c.line, ids, token, {}, job.req.include_usage); break;
  }
  c.line += "\n\n";
}

// Sends the end of a stream: the done object, or the OpenAI finish (+ usage) chunk and [DONE].
net::awaitable<bool> stream_end(Connection& c, const Job& job, const OaiIds& ids, const FinalStats& s) {
  c.line.clear();
  if (job.api == Api::kGenerate || job.api == Api::kChat) {
    if (job.api == Api::kGenerate) append_generate_final(c.line, job.req.model, "", s, job.req.raw ? nullptr : &c.context);
    else append_chat_final(c.line, job.req.model, "", s);
    c.line += '\n';
    if (!co_await c.send_chunk(c.line)) co_return false;
    co_return co_await c.end_stream();
  }
  const bool chat = job.api == Api::kOaiChat;
  c.line += "data: ";
  if (chat) append_oai_chat_finish(c.line, ids, s.done_reason);
  else append_oai_completion_chunk(c.line, ids, "", s.done_reason, job.req.include_usage);
  c.line += "\n\n";
  if (job.req.include_usage) {
    c.line += "data: ";
    append_oai_usage_chunk(c.line, ids, chat ? "chat.completion.chunk" : "text_completion",
                           {s.prompt_eval_count, s.eval_count, s.prompt_eval_cached, true});
    c.line += "\n\n";
  }
  c.line += "data: [DONE]\n\n";
  if (!co_await c.send_chunk(c.line)) co_return false;
  co_return co_await c.end_stream();
}

// Applies the stall and close faults before piece `i`. False when the connection was cut or cancelled.
net::awaitable<bool> apply_stream_faults(Connection& c, Job& job, int i, std::optional<SteadyTimer>& timer) {
  if (!job.faults) co_return true;
  if (job.faults->stall_after_chunks == i) {
    if (!timer) timer.emplace(co_await net::this_coro::executor);
    if (!co_await sleep_until(*timer, SteadyClock::now() + job.faults->stall_for)) co_return false;
  }
  if (job.faults->close_after_chunks == i) {
    error_code ignored;
    c.socket.shutdown(tcp::socket::shutdown_both, ignored);
    c.socket.close(ignored);
    c.dead = true;
    co_return false;
  }
  co_return true;
}

// Prompt evaluation, then the tokens: streamed one per write, or whole. No timers when untimed.
net::awaitable<void> produce(SimContext& ctx, Connection& c, Job& job) {
  auto& req = job.req;
  const double tps = ctx.options.tokens_per_second;
  const bool timed = tps > 0;
  std::optional<SteadyTimer> timer;
  if (timed) timer.emplace(co_await net::this_coro::executor);

  if (req.empty_prompt && (job.api == Api::kGenerate || job.api == Api::kChat)) {
    co_await answer_command(c, job.api, req.model, "load");
    co_return;
  }
  const int num_ctx = req.num_ctx > 0 ? req.num_ctx : default_num_ctx(ctx.options.vram);
  // A prompt longer than the context keeps its last num_ctx tokens.
  std::string_view window = req.rendered;
  if (const auto limit = static_cast<std::size_t>(num_ctx) * kTokenBytes; window.size() > limit) {
    window.remove_prefix(window.size() - limit);
  }
  const int prompt_tokens = generates(job.api) ? static_cast<int>(window.size() / kTokenBytes)
                                               : std::min(count_prompt_tokens(req.prompt_bytes), num_ctx);
  PromptHit hit;
  if (generates(job.api) && prompt_tokens > 0) {
    hit = ctx.state.begin_prompt(c.key, window);
    job.cache_slot = hit.slot;
  }
  auto& counters = ctx.state.counters();
  counters.prompt_tokens.fetch_add(static_cast<std::uint64_t>(prompt_tokens), std::memory_order_relaxed);
  counters.prompt_tokens_cached.fetch_add(hit.cached, std::memory_order_relaxed);
  const int uncached = prompt_tokens - static_cast<int>(hit.cached);
  const TimePoint eval_start = SteadyClock::now();
  if (timed && ctx.prompt_rate > 0 && uncached > 0) {
    const auto d = Nanos(static_cast<std::int64_t>(uncached / ctx.prompt_rate * 1e9));
    if (!co_await sleep_until(*timer, eval_start + d)) co_return;
  }
  const TimePoint gen_start = SteadyClock::now();
  if (!generates(job.api)) {
    co_await answer_embeddings(ctx, c, job, prompt_tokens, gen_start);
    co_return;
  }

  TextGenerator gen(ctx.options.seed, req.prompt_hash);
  const bool limited = req.num_predict && *req.num_predict >= 0;
  const int n = limited ? static_cast<int>(std::min<std::int64_t>(*req.num_predict, 1 << 24)) : gen.natural_length();
  FinalStats s;
  s.done_reason = limited ? "length" : "stop";
  // As Ollama >= 0.30.1: the count is the whole prompt, the duration only the part that was evaluated.
  s.prompt_eval_count = prompt_tokens;
  s.prompt_eval_cached = static_cast<std::int64_t>(hit.cached);
  s.prompt_eval_duration = prompt_tokens > 0 ? ns_since(eval_start, gen_start) : 0;
  s.load_duration = ns_since(job.start, job.granted);
  c.context.clear();
  c.text.clear();
  if (job.api == Api::kGenerate && !req.raw) append_prompt_ids(c.context, window, num_ctx);
  const std::string id = (job.api == Api::kOaiChat ? "chatcmpl-" : "cmpl-") + std::to_string(next_random() % 999);
  const OaiIds ids{id, static_cast<std::int64_t>(std::time(nullptr)), req.model};
  auto token_time = [&](int i) { return gen_start + Nanos(static_cast<std::int64_t>(i / tps * 1e9)); };

  if (req.stream) {
    c.begin_stream(is_openai(job.api) ? kEventStream : kNdjson);
    for (int i = 0; i < n; ++i) {
      const Token tok = gen.next();
      if (timed && !co_await sleep_until(*timer, token_time(i + 1))) co_return;
      if (!co_await apply_stream_faults(c, job, i, timer)) co_return;
      stream_piece(c, job, ids, i == 0, tok.text);
      if (!co_await c.send_chunk(c.line)) {
        job.client_gone = true;
        co_return;
      }
      c.context.push_back(tok.id);
    }
    if (!co_await apply_stream_faults(c, job, n, timer)) co_return;
    s.eval_count = n;
    s.eval_duration = n > 0 ? ns_since(gen_start, SteadyClock::now()) : 0;
    s.total_duration = ns_since(job.start, SteadyClock::now());
    if (!co_await stream_end(c, job, ids, s)) job.client_gone = true;
    co_return;
  }

  for (int i = 0; i < n; ++i) {
    const Token tok = gen.next();
    c.text += tok.text;
    c.context.push_back(tok.id);
  }
  if (timed && !co_await sleep_until(*timer, token_time(n))) co_return;
  if (job.faults && ((job.faults->stall_after_chunks >= 0 && job.faults->stall_after_chunks <= n) ||
                     (job.faults->close_after_chunks >= 0 && job.faults->close_after_chunks <= n))) {
    const int at = job.faults->close_after_chunks >= 0 ? job.faults->close_after_chunks : job.faults->stall_after_chunks;
    job.faults->stall_after_chunks = job.faults->stall_after_chunks >= 0 ? at : -1;
    if (!co_await apply_stream_faults(c, job, at, timer)) co_return;
  }
  s.eval_count = n;
  s.eval_duration = n > 0 ? ns_since(gen_start, SteadyClock::now()) : 0;
  s.total_duration = ns_since(job.start, SteadyClock::now());
  c.body.clear();
  switch (job.api) {
    case Api::kGenerate: append_generate_final(c.body, req.model, c.text, s, req.raw ? nullptr : &c.context); break;
    case Api::kChat: append_chat_final(c.body, req.model, c.text, s); break;
    case Api::kOaiChat:
      append_oai_chat_completion(c.body, ids, c.text, s.done_reason, {prompt_tokens, n, s.prompt_eval_cached, true});
      break;
    default: append_oai_completion(c.body, ids, c.text, s.done_reason, {prompt_tokens, n, s.prompt_eval_cached, true}); break;
  }
  if (!co_await c.respond(200, is_openai(job.api) ? kJsonPlain : kJson, c.body)) job.client_gone = true;
}

// Waits for a slot (and loads the model when granted the load), then produces. Runs beside the
// disconnect watch; every exit path gives the slot back through the Lease.
net::awaitable<void> serve_slow(SimContext& ctx, Connection& c, Job& job, AdmitResult first) {
  Lease lease(ctx.state, c.key, job.cache_slot);
  AdmitResult r = first;
  std::optional<TimePoint> runner_at;  // load_duration ends here when the model was resident
  const auto ex = co_await net::this_coro::executor;
  if (r.status == AdmitStatus::kMustWait) {
    auto waiter = std::make_shared<ConnWaiter>(ex);
    const ModelAdmission adm = ctx.state.admit(c.key, job.req.keep_alive, waiter, generates(job.api));
    r = adm.result;
    if (!adm.found) {
      co_await send_error(c, job.api, 404, not_found_text(job.api, job.req.model));
      co_return;
    }
    if (r.status == AdmitStatus::kBusy) {
      co_await send_error(c, job.api, 503, kBusy);
      co_return;
    }
    if (r.status == AdmitStatus::kQueued) {
      const bool woken = co_await waiter->wait();
      if (!woken && ctx.state.cancel(waiter.get())) co_return;  // left the queue: nothing held
      // Granted (possibly in a race with the cancel): honour the grant, the Lease undoes it if we left.
      const Grant g = *waiter->granted;
      r = {g.kind == Grant::Kind::kLoad ? AdmitStatus::kLoad : AdmitStatus::kRun, g.load_time};
      runner_at = waiter->runner_at;
      if (!woken) {
        lease.set(g.kind == Grant::Kind::kLoad ? Lease::State::kLoading : Lease::State::kSlot);
        co_return;
      }
      if (g.kind == Grant::Kind::kRun && waiter->slot_queued && runner_at) {
        auto& counters = ctx.state.counters();
        counters.slot_waits.fetch_add(1, std::memory_order_relaxed);
        counters.slot_wait_ns.fetch_add(static_cast<std::uint64_t>(ns_since(*runner_at, SteadyClock::now())),
                                        std::memory_order_relaxed);
      }
    }
  }
  if (r.status == AdmitStatus::kLoad) {
    lease.set(Lease::State::kLoading);
    if (r.load_time.count() > 0) {
      SteadyTimer timer(ex);
      if (!co_await sleep_until(timer, SteadyClock::now() + r.load_time)) co_return;
    }
    ctx.state.load_done(c.key);
  }
  lease.set(Lease::State::kSlot);
  job.granted = r.status == AdmitStatus::kRun && runner_at ? *runner_at : SteadyClock::now();
  co_await produce(ctx, c, job);
}

}  // namespace

net::awaitable<void> handle_inference(SimContext& ctx, Connection& c, Api api, std::string_view body) {
  ctx.state.counters().requests.fetch_add(1, std::memory_order_relaxed);
  Job job;
  job.api = api;
  job.start = SteadyClock::now();
  auto& req = job.req;
  if (auto err = parse_inference(c.json, c.scratch, body, api, req)) {
    co_await send_error(c, api, err->status, err->message, true);
    co_return;
  }
  if (api == Api::kOaiChat && req.empty_prompt) {
    co_await send_error(c, api, 400, "[] is too short - 'messages'", true);
    co_return;
  }
  if (is_openai(api)) req.empty_prompt = false;  // /v1 has no load/unload commands

  c.key.clear();
  common::ModelNameError name_error{};
  if (!common::append_short_key(c.key, req.model, &name_error)) {
    if (name_error == common::ModelNameError::kInvalid) co_await send_error(c, api, 400, "invalid model name");
    else if (api == Api::kGenerate) co_await send_error(c, api, 404, "model '' not found");
    else co_await send_error(c, api, 400, "model is required");
    co_return;
  }
  if (ctx.faults.any()) {
    job.faults = ctx.faults.take_for_request();
    if (job.faults) {
      ctx.state.counters().faults_injected.fetch_add(1, std::memory_order_relaxed);
      if (job.faults->error_status != 0) {
        co_await send_error(c, api, job.faults->error_status, job.faults->error_message);
        co_return;
      }
    }
  }
  if (generates(api) && req.empty_prompt && req.keep_alive && req.keep_alive->count() == 0) {
    // Ollama's unload shortcut: answered at once, before any queue; the unload waits for in-flight work.
    if (!ctx.state.find_model(c.key)) {
      co_await send_error(c, api, 404, not_found_text(api, req.model));
      co_return;
    }
    ctx.state.unload(c.key);
    co_await answer_command(c, api, req.model, "unload");
    co_return;
  }

  const ModelAdmission adm = ctx.state.admit(c.key, req.keep_alive, nullptr, generates(api));
  if (!adm.found) {
    co_await send_error(c, api, 404, not_found_text(api, req.model));
    co_return;
  }
  if (!adm.capable) {
    const std::string what = (api == Api::kChat || api == Api::kOaiChat) ? "chat" : "generate";
    co_await send_error(c, api, 400, gojson::quote(req.model) + " does not support " + what);
    co_return;
  }
  if (adm.result.status == AdmitStatus::kBusy) {
    co_await send_error(c, api, 503, kBusy);
    co_return;
  }
  if (adm.result.status == AdmitStatus::kRun && ctx.options.tokens_per_second <= 0 && !job.faults) {
    // The benchmark path: a free slot, no timers, no watch. A vanished client shows up as a failed write.
    Lease lease(ctx.state, c.key, job.cache_slot, Lease::State::kSlot);
    job.granted = job.start;
    co_await produce(ctx, c, job);
  } else {
    auto winner = co_await (serve_slow(ctx, c, job, adm.result) || watch_disconnect(c.socket));
    if (winner.index() == 1) {
      job.client_gone = true;
      c.dead = true;
    }
  }
  if (job.client_gone) ctx.state.counters().cancelled.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace corral::sim
