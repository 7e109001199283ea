#include "sim/sim_server.hpp"

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "sim/connection.hpp"
#include "sim/inference_handler.hpp"
#include "sim/model_handlers.hpp"
#include "sim/wire_format.hpp"

namespace corral::sim {
namespace {

constexpr std::size_t kHeaderLimit = 1 << 20;    // Go's DefaultMaxHeaderBytes
constexpr std::uint64_t kBodyLimit = 256ull << 20;  // Ollama has none; big image payloads must pass

enum class Route {
  kNone, kRoot, kVersion, kTags, kPs, kShow, kGenerate, kChat, kEmbed, kEmbeddings, kPull, kPush, kDelete,
  kCopy, kCreate, kOaiChat, kOaiCompletions, kOaiEmbeddings, kOaiModels, kOaiModel, kSimStats, kSimFault,
};

enum Method : unsigned { kGet = 1, kHead = 2, kPost = 4, kDelete = 8 };

struct RouteEntry {
  std::string_view path;
  unsigned methods;
  Route route;
};

// gin's route table as Ollama registers it (server/routes.go GenerateRoutes), plus /sim/*.
constexpr RouteEntry kRoutes[] = {
    {"/api/generate", kPost, Route::kGenerate},
    {"/api/chat", kPost, Route::kChat},
    {"/", kGet | kHead, Route::kRoot},
    {"/api/version", kGet | kHead, Route::kVersion},
    {"/api/tags", kGet | kHead, Route::kTags},
    {"/api/ps", kGet, Route::kPs},
    {"/api/show", kPost, Route::kShow},
    {"/api/embed", kPost, Route::kEmbed},
    {"/api/embeddings", kPost, Route::kEmbeddings},
    {"/api/pull", kPost, Route::kPull},
    {"/api/push", kPost, Route::kPush},
    {"/api/delete", kDelete, Route::kDelete},
    {"/api/copy", kPost, Route::kCopy},
    {"/api/create", kPost, Route::kCreate},
    {"/v1/chat/completions", kPost, Route::kOaiChat},
    {"/v1/completions", kPost, Route::kOaiCompletions},
    {"/v1/embeddings", kPost, Route::kOaiEmbeddings},
    {"/v1/models", kGet, Route::kOaiModels},
    {"/sim/stats", kGet, Route::kSimStats},
    {"/sim/fault", kGet | kPost | kDelete, Route::kSimFault},
};

unsigned method_bit(http::verb v) {
  switch (v) {
    case http::verb::get: return kGet;
    case http::verb::head: return kHead;
    case http::verb::post: return kPost;
    case http::verb::delete_: return kDelete;
    default: return 0;
  }
}

const RouteEntry* find_route(std::string_view path) {
  for (const auto& r : kRoutes) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

// /v1/models/:model matches one non-empty segment without '/'.
bool is_model_path(std::string_view path, std::string_view& model) {
  constexpr std::string_view kPrefix = "/v1/models/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  model = path.substr(kPrefix.size());
  return !model.empty() && model.find('/') == std::string_view::npos;
}

net::awaitable<void> text_answer(Connection& c, int status, std::string_view body) {
  co_await c.respond(status, kTextPlain, body);
}

net::awaitable<void> handle_fault(SimContext& ctx, Connection& c, http::verb method, std::string_view body) {
  if (method == http::verb::delete_) {
    ctx.faults.clear();
  } else if (method == http::verb::post) {
    std::string error;
    auto plan = parse_fault_plan(body, error);
    if (!plan) {
      c.body.clear();
      c.body = "{\"error\":\"" + error + "\"}";  // our own texts carry no characters that need escaping
      co_await c.respond(400, kJson, c.body);
      co_return;
    }
    if (plan->exit) {
      // A crash: no answer, no cleanup, exit code 1.
      std::fflush(nullptr);
      std::_Exit(1);
    }
    ctx.faults.set(std::move(*plan));
  }
  c.body = fault_plan_json(ctx.faults.current());
  co_await c.respond(200, kJson, c.body);
}

net::awaitable<void> redirect(Connection& c, http::verb method, std::string_view to) {
  const bool get = method == http::verb::get || method == http::verb::head;
  std::string location = "Location: " + std::string(to) + "\r\n";
  std::string body;
  if (get) body = "<a href=\"" + std::string(to) + "\">Moved Permanently</a>.\n\n";
  co_await c.respond(get ? 301 : 307, get ? "text/html; charset=utf-8" : "", body, location);
}

net::awaitable<void> dispatch(SimContext& ctx, Connection& c, const http::request<http::string_body>& req) {
  std::string_view path(req.target().data(), req.target().size());
  if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  const std::string_view body = req.body();
  const RouteEntry* entry = find_route(path);
  std::string_view model_param;
  if (entry == nullptr && is_model_path(path, model_param)) {
    if (req.method() != http::verb::get) { co_await text_answer(c, 405, "405 method not allowed"); co_return; }
    { co_await handle_v1_model(ctx, c, model_param); co_return; }
  }
  if (entry == nullptr) {
    if (path.size() > 1 && path.back() == '/' && find_route(path.substr(0, path.size() - 1)) != nullptr) {
      { co_await redirect(c, req.method(), path.substr(0, path.size() - 1)); co_return; }
    }
    { co_await text_answer(c, 404, "404 page not found"); co_return; }
  }
  if ((entry->methods & method_bit(req.method())) == 0) { co_await text_answer(c, 405, "405 method not allowed"); co_return; }

  switch (entry->route) {
    case Route::kGenerate: { co_await handle_inference(ctx, c, Api::kGenerate, body); co_return; }
    case Route::kChat: { co_await handle_inference(ctx, c, Api::kChat, body); co_return; }
    case Route::kEmbed: { co_await handle_inference(ctx, c, Api::kEmbed, body); co_return; }
    case Route::kEmbeddings: { co_await handle_inference(ctx, c, Api::kEmbeddings, body); co_return; }
    case Route::kOaiChat: { co_await handle_inference(ctx, c, Api::kOaiChat, body); co_return; }
    case Route::kOaiCompletions: { co_await handle_inference(ctx, c, Api::kOaiCompletion, body); co_return; }
    case Route::kOaiEmbeddings: { co_await handle_inference(ctx, c, Api::kOaiEmbeddings, body); co_return; }
    case Route::kRoot: {
      co_await delay_health_answer(ctx);
      { co_await c.respond(200, kTextUtf8, "Ollama is running"); co_return; }
    }
    case Route::kVersion: { co_await handle_version(ctx, c); co_return; }
    case Route::kTags: { co_await handle_tags(ctx, c); co_return; }
    case Route::kPs: { co_await handle_ps(ctx, c); co_return; }
    case Route::kShow: { co_await handle_show(ctx, c, body); co_return; }
    case Route::kPull: { co_await handle_pull(ctx, c, body); co_return; }
    case Route::kPush: {
      c.body = "{\"error\":\"push is not supported by corral sim\"}";
      { co_await c.respond(500, kJson, c.body); co_return; }
    }
    case Route::kDelete: { co_await handle_delete(ctx, c, body); co_return; }
    case Route::kCopy: { co_await handle_copy(ctx, c, body); co_return; }
    case Route::kCreate: { co_await handle_create(ctx, c, body); co_return; }
    case Route::kOaiModels: { co_await handle_v1_models(ctx, c); co_return; }
    case Route::kSimStats: {
      c.body = ctx.state.stats_json();
      { co_await c.respond(200, kJson, c.body); co_return; }
    }
    case Route::kSimFault: { co_await handle_fault(ctx, c, req.method(), body); co_return; }
    default: { co_await text_answer(c, 404, "404 page not found"); co_return; }
  }
}

// Go's answers to requests it cannot parse: written raw, then the connection closes.
net::awaitable<void> answer_unreadable(Connection& c, const error_code& ec) {
  std::string_view text;
  if (ec == http::error::header_limit) text = "431 Request Header Fields Too Large";
  else if (ec == http::error::body_limit) text = "413 Request Entity Too Large";
  else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream &&
           ec != http::error::partial_message && ec != http::error::need_more) text = "400 Bad Request";
  if (text.empty()) co_return;  // EOF, reset or a half-sent request: nobody to answer
  c.out = "HTTP/1.1 ";
  c.out += text;
  c.out += "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n";
  c.out += text;
  co_await c.flush();
}

net::awaitable<void> serve_connection(SimContext& ctx, tcp::socket socket) {
  Connection c(std::move(socket));
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    auto [ec, n] = co_await http::async_read_header(c.socket, c.buffer, parser, use_tuple);
    if (!ec && !parser.is_done()) {
      const auto expect = parser.get()[http::field::expect];
      if (beast::iequals(expect, "100-continue")) {
        c.out = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await c.flush()) break;
      }
      std::tie(ec, n) = co_await http::async_read(c.socket, c.buffer, parser, use_tuple);
    }
    if (ec) {
      co_await answer_unreadable(c, ec);
      break;
    }
    auto& req = parser.get();
    c.close = !req.keep_alive();
    c.head_only = req.method() == http::verb::head;
    co_await dispatch(ctx, c, req);
    if (c.close || c.dead) break;
  }
  error_code ignored;
  c.socket.shutdown(tcp::socket::shutdown_send, ignored);
  c.socket.close(ignored);
}

}  // namespace

SimServer::SimServer(net::io_context& io, SimContext& ctx, const tcp::endpoint& endpoint)
    : io_(io), ctx_(ctx), acceptor_(io), timer_strand_(net::make_strand(io)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void SimServer::start() {
  net::co_spawn(acceptor_.get_executor(), accept_loop(), net::detached);
  expiry_timer_ = std::make_shared<SteadyTimer>(timer_strand_);
  // A model that goes idle with a deadline earlier than the armed one re-arms the timer.
  ctx_.state.on_earlier_expiry([this, timer = expiry_timer_](TimePoint t) {
    net::post(timer_strand_, [this, timer, t] {
      if (t < armed_) timer->cancel();
    });
  });
  net::co_spawn(timer_strand_, expiry_loop(), net::detached);
}

net::awaitable<void> SimServer::accept_loop() {
  const bool strands = ctx_.options.threads > 1;
  for (;;) {
    auto ex = strands ? net::any_io_executor(net::make_strand(io_)) : net::any_io_executor(io_.get_executor());
    tcp::socket socket(ex);
    auto [ec] = co_await acceptor_.async_accept(socket, use_tuple);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: back off briefly instead of spinning.
      SteadyTimer t(acceptor_.get_executor());
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait();
      continue;
    }
    if (ctx_.faults.refuse_connections()) {
      ctx_.state.counters().connections_refused.fetch_add(1, std::memory_order_relaxed);
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    ctx_.state.counters().connections_opened.fetch_add(1, std::memory_order_relaxed);
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    net::co_spawn(ex, serve_connection(ctx_, std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("corral sim: connection failed: {}", ex.what());
      }
    });
  }
}

net::awaitable<void> SimServer::expiry_loop() {
  for (;;) {
    const auto next = ctx_.state.expire();
    armed_ = next.value_or(TimePoint::max());
    expiry_timer_->expires_at(armed_);
    co_await expiry_timer_->async_wait();  // expiry or a re-arm; either way, look again
  }
}

}  // namespace corral::sim
