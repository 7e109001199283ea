#include "sim/model_handlers.hpp"

#include <algorithm>
#include <ctime>

#include "common/go_json.hpp"
#include "common/model_name.hpp"
#include "sim/ollama_json.hpp"
#include "sim/request_body.hpp"
#include "sim/wire_format.hpp"

namespace corral::sim {
namespace {

using SystemClock = std::chrono::system_clock;

// Go prints a local time.Time as RFC 3339 with nanoseconds and the zone offset ("Z" when it is UTC).
// Takes seconds since the epoch so "forever" (about 292 years ahead) does not overflow nanoseconds.
void append_local_time(std::string& out, std::int64_t secs, long nanos) {
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[48];
  out.append(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm));
  if (nanos != 0) {
    std::snprintf(buf, sizeof buf, ".%09ld", nanos);
    std::string_view frac(buf);
    while (frac.back() == '0') frac.remove_suffix(1);
    out += frac;
  }
  if (tm.tm_gmtoff == 0) {
    out += 'Z';
  } else {
    const long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+', off / 3600, (off % 3600) / 60);
    out += buf;
  }
}

void append_local_time(std::string& out, SystemClock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  append_local_time(out, ns / 1'000'000'000, static_cast<long>(ns % 1'000'000'000));
}

void append_details(std::string& out, const CatalogModel& m) {
  out += "{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":";
  gojson::append_string(out, m.family);
  out += ",\"families\":[";
  gojson::append_string(out, m.family);
  out += "],\"parameter_size\":";
  gojson::append_string(out, m.parameter_size);
  out += ",\"quantization_level\":\"";
  out += m.embedding ? "F16" : "Q4_K_M";
  out += "\"}";
}

void append_capabilities(std::string& out, const CatalogModel& m) {
  out += m.embedding ? "[\"embedding\"]" : "[\"completion\"]";
}

int context_length(std::uint64_t vram) {
  constexpr std::uint64_t kGiB = 1ull << 30;
  return vram >= 47 * kGiB ? 262144 : vram >= 23 * kGiB ? 32768 : 4096;
}

std::string owner_of(const std::string& display) {
  const auto slash = display.rfind('/');
  if (slash == std::string::npos) return "library";
  const auto prev = display.rfind('/', slash - 1);
  return display.substr(prev == std::string::npos ? 0 : prev + 1, slash - (prev == std::string::npos ? 0 : prev + 1));
}

net::awaitable<void> json_error(Connection& c, int status, std::string_view message) {
  c.body.clear();
  append_error(c.body, message);
  co_await c.respond(status, kJson, c.body);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

net::awaitable<void> delay_health_answer(SimContext& ctx) {
  const auto d = ctx.faults.health_delay();
  if (d.count() <= 0) co_return;
  auto& counters = ctx.state.counters();
  counters.health_delayed.fetch_add(1, std::memory_order_relaxed);
  counters.health_delaying.fetch_add(1, std::memory_order_relaxed);
  SteadyTimer t(co_await net::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait();
  counters.health_delaying.fetch_sub(1, std::memory_order_relaxed);
}

net::awaitable<void> handle_version(SimContext& ctx, Connection& c) {
  co_await delay_health_answer(ctx);
  c.body = "{\"version\":\"";
  c.body += kOllamaVersion;
  c.body += "\"}";
  co_await c.respond(200, kJson, c.body);
}

net::awaitable<void> handle_tags(SimContext& ctx, Connection& c) {
  co_await delay_health_answer(ctx);
  c.body = "{\"models\":[";
  bool first = true;
  for (const auto& m : ctx.state.list_models()) {
    if (!first) c.body += ',';
    first = false;
    c.body += "{\"name\":";
    gojson::append_string(c.body, m.display);
    c.body += ",\"model\":";
    gojson::append_string(c.body, m.display);
    c.body += ",\"modified_at\":\"";
    append_local_time(c.body, m.modified_at);
    c.body += "\",\"size\":";
    append_int(c.body, static_cast<std::int64_t>(m.size));
    c.body += ",\"digest\":\"";
    c.body += m.digest;
    c.body += "\",\"details\":";
    append_details(c.body, m);
    c.body += ",\"capabilities\":";
    append_capabilities(c.body, m);
    c.body += '}';
  }
  c.body += "]}";
  co_await c.respond(200, kJson, c.body);
}

net::awaitable<void> handle_ps(SimContext& ctx, Connection& c) {
  co_await delay_health_answer(ctx);
  struct Row {
    RunnerView runner;
    CatalogModel model;
    std::int64_t expires_s = 0;
    long expires_ns = 0;
  };
  std::vector<Row> rows;
  const auto steady_now = SteadyClock::now();
  const auto wall_now = std::chrono::duration_cast<std::chrono::nanoseconds>(SystemClock::now().time_since_epoch()).count();
  for (auto& r : ctx.state.runners()) {
    if (r.loading) continue;
    auto m = ctx.state.find_model(r.key);
    if (!m) continue;
    Row row{r, *m};
    // Forever is Go's now + MaxInt64 nanoseconds: about 292 years ahead.
    const std::int64_t ahead = r.forever ? INT64_MAX
                                         : std::chrono::duration_cast<std::chrono::nanoseconds>(r.expires_at - steady_now).count();
    row.expires_s = wall_now / 1'000'000'000 + ahead / 1'000'000'000;
    std::int64_t frac = wall_now % 1'000'000'000 + ahead % 1'000'000'000;
    if (frac >= 1'000'000'000) { frac -= 1'000'000'000; ++row.expires_s; }
    if (frac < 0) { frac += 1'000'000'000; --row.expires_s; }
    row.expires_ns = static_cast<long>(frac);
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.expires_s != b.expires_s ? a.expires_s > b.expires_s : a.expires_ns > b.expires_ns;
  });
  c.body = "{\"models\":[";
  bool first = true;
  for (const auto& row : rows) {
    if (!first) c.body += ',';
    first = false;
    c.body += "{\"name\":";
    gojson::append_string(c.body, row.model.display);
    c.body += ",\"model\":";
    gojson::append_string(c.body, row.model.display);
    c.body += ",\"size\":";
    append_int(c.body, static_cast<std::int64_t>(row.runner.size));
    c.body += ",\"digest\":\"";
    c.body += row.model.digest;
    c.body += "\",\"details\":";
    append_details(c.body, row.model);
    c.body += ",\"expires_at\":\"";
    append_local_time(c.body, row.expires_s, row.expires_ns);
    c.body += "\",\"size_vram\":";
    append_int(c.body, static_cast<std::int64_t>(row.runner.size_vram));
    c.body += ",\"context_length\":";
    append_int(c.body, context_length(ctx.options.vram));
    c.body += '}';
  }
  c.body += "]}";
  co_await c.respond(200, kJson, c.body);
}

net::awaitable<void> handle_show(SimContext& ctx, Connection& c, std::string_view body) {
  NamedRequest req;
  if (auto err = parse_named(c.json, c.scratch, body, "api.ShowRequest", req)) {
    co_await json_error(c, err->status, err->message);
    co_return;
  }
  common::ModelNameError ne{};
  auto name = common::ModelName::parse(req.model, &ne);
  if (!name) {
    co_await json_error(c, 400, ne == common::ModelNameError::kEmpty ? "model is required" : "invalid model name");
    co_return;
  }
  auto m = ctx.state.find_model(name->short_key());
  if (!m) {
    co_await json_error(c, 404, "model '" + name->display() + "' not found");
    co_return;
  }
  c.body = "{\"modelfile\":";
  gojson::append_string(c.body, "# Modelfile generated by \"ollama show\"\nFROM " + m->display +
                                    "\nTEMPLATE {{ .Prompt }}\n");
  c.body += ",\"parameters\":\"num_ctx                        4096\",\"template\":\"{{ .Prompt }}\",\"details\":";
  append_details(c.body, *m);
  c.body += ",\"model_info\":{\"general.architecture\":";
  gojson::append_string(c.body, m->family);
  c.body += ",\"general.parameter_count\":";
  append_int(c.body, static_cast<std::int64_t>(static_cast<double>(m->size) / 0.6));
  c.body += ",\"general.quantization_version\":2},\"capabilities\":";
  append_capabilities(c.body, *m);
  c.body += ",\"modified_at\":\"";
  append_local_time(c.body, m->modified_at);
  c.body += "\"}";
  co_await c.respond(200, kJson, c.body);
}

net::awaitable<void> handle_pull(SimContext& ctx, Connection& c, std::string_view body) {
  NamedRequest req;
  if (auto err = parse_named(c.json, c.scratch, body, "api.PullRequest", req)) {
    co_await json_error(c, err->status, err->message);
    co_return;
  }
  common::ModelNameError ne{};
  auto name = common::ModelName::parse(req.model, &ne);
  if (!name) {
    co_await json_error(c, 400, ne == common::ModelNameError::kEmpty ? "model is required" : "invalid model name");
    co_return;
  }
  // A model whose name starts with "nonexistent" is missing from the "registry": it fails after the
  // first progress line, as Ollama's pull does.
  const bool missing = name->model().rfind("nonexistent", 0) == 0;
  const std::string display = name->display();
  auto known = ctx.state.find_model(name->short_key());
  const std::uint64_t size = known ? known->size : ModelCatalog::guess_size(display);
  if (!req.stream) {
    if (missing) {
      co_await json_error(c, 500, "pull model manifest: file does not exist");
      co_return;
    }
    if (!known) ctx.state.add_model(display, size);
    co_await c.respond(200, kJsonPlain, "{\"status\":\"success\"}");
    co_return;
  }
  c.begin_stream(kNdjson);
  if (!co_await c.send_chunk("{\"status\":\"pulling manifest\"}\n")) co_return;
  if (missing) {
    if (co_await c.send_chunk("{\"error\":\"pull model manifest: file does not exist\"}\n")) co_await c.end_stream();
    co_return;
  }
  const std::string digest = std::string(64, '0').replace(0, 16, std::to_string(size).substr(0, 16));
  SteadyTimer timer(co_await net::this_coro::executor);
  for (int step = 0; step <= 4; ++step) {
    c.line = "{\"status\":\"pulling ";
    c.line += digest.substr(0, 12);
    c.line += "\",\"digest\":\"sha256:";
    c.line += digest;
    c.line += "\",\"total\":";
    append_int(c.line, static_cast<std::int64_t>(size));
    if (step > 0) {
      c.line += ",\"completed\":";
      append_int(c.line, static_cast<std::int64_t>(size / 4 * static_cast<std::uint64_t>(step)));
    }
    c.line += "}\n";
    if (!co_await c.send_chunk(c.line)) co_return;
    if (ctx.options.tokens_per_second > 0) {  // a visible download in timed mode, none in benchmark mode
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait();
    }
  }
  for (std::string_view s : {"{\"status\":\"verifying sha256 digest\"}\n", "{\"status\":\"writing manifest\"}\n"}) {
    if (!co_await c.send_chunk(s)) co_return;
  }
  if (!known) ctx.state.add_model(display, size);
  if (co_await c.send_chunk("{\"status\":\"success\"}\n")) co_await c.end_stream();
}

net::awaitable<void> handle_delete(SimContext& ctx, Connection& c, std::string_view body) {
  NamedRequest req;
  if (auto err = parse_named(c.json, c.scratch, body, "api.DeleteRequest", req)) {
    co_await json_error(c, err->status, err->message);
    co_return;
  }
  auto name = common::ModelName::parse(req.model);
  if (!name) {
    co_await json_error(c, 400, "name " + gojson::quote(req.model) + " is invalid");
    co_return;
  }
  if (!ctx.state.remove_model(name->short_key())) {
    co_await json_error(c, 404, "model '" + std::string(req.model) + "' not found");
    co_return;
  }
  co_await c.respond(200, {}, {});
}

net::awaitable<void> handle_copy(SimContext& ctx, Connection& c, std::string_view body) {
  NamedRequest req;
  if (auto err = parse_named(c.json, c.scratch, body, "api.CopyRequest", req)) {
    co_await json_error(c, err->status, err->message);
    co_return;
  }
  auto src = common::ModelName::parse(req.source);
  if (!src) {
    co_await json_error(c, 400, "source " + gojson::quote(req.source) + " is invalid");
    co_return;
  }
  auto dst = common::ModelName::parse(req.destination);
  if (!dst) {
    co_await json_error(c, 400, "destination " + gojson::quote(req.destination) + " is invalid");
    co_return;
  }
  auto m = ctx.state.find_model(src->short_key());
  if (!m) {
    co_await json_error(c, 404, "model " + gojson::quote(req.source) + " not found");
    co_return;
  }
  ctx.state.add_model(dst->display(), m->size);
  co_await c.respond(200, {}, {});
}

net::awaitable<void> handle_create(SimContext& ctx, Connection& c, std::string_view body) {
  NamedRequest req;
  if (auto err = parse_named(c.json, c.scratch, body, "api.CreateRequest", req)) {
    co_await json_error(c, err->status, err->message);
    co_return;
  }
  auto name = common::ModelName::parse(req.model);
  if (!name) {
    co_await json_error(c, 400, req.model.empty() ? "model is required" : "invalid model name");
    co_return;
  }
  if (req.from.empty()) {
    co_await json_error(c, 400, "neither 'from' or 'files' was specified");
    co_return;
  }
  auto from_name = common::ModelName::parse(req.from);
  auto from = from_name ? ctx.state.find_model(from_name->short_key()) : std::nullopt;
  if (!from) {
    co_await json_error(c, 404, "model '" + std::string(req.from) + "' not found");
    co_return;
  }
  ctx.state.add_model(name->display(), from->size);
  if (!req.stream) {
    co_await c.respond(200, kJsonPlain, "{\"status\":\"success\"}");
    co_return;
  }
  c.begin_stream(kNdjson);
  c.line = "{\"status\":\"using existing layer sha256:" + from->digest + "\"}\n";
  if (!co_await c.send_chunk(c.line)) co_return;
  if (!co_await c.send_chunk("{\"status\":\"writing manifest\"}\n")) co_return;
  if (co_await c.send_chunk("{\"status\":\"success\"}\n")) co_await c.end_stream();
}

net::awaitable<void> handle_v1_models(SimContext& ctx, Connection& c) {
  const auto models = ctx.state.list_models();
  c.body = "{\"object\":\"list\",\"data\":";
  if (models.empty()) c.body += "null";  // a nil slice in ToListCompletion
  for (std::size_t i = 0; i < models.size(); ++i) {
    c.body += i == 0 ? "[" : ",";
    c.body += "{\"id\":";
    gojson::append_string(c.body, models[i].display);
    c.body += ",\"object\":\"model\",\"created\":";
    append_int(c.body, std::chrono::duration_cast<std::chrono::seconds>(models[i].modified_at.time_since_epoch()).count());
    c.body += ",\"owned_by\":";
    gojson::append_string(c.body, owner_of(models[i].display));
    c.body += '}';
  }
  if (!models.empty()) c.body += ']';
  c.body += "}\n";
  co_await c.respond(200, kJsonPlain, c.body);
}

net::awaitable<void> handle_v1_model(SimContext& ctx, Connection& c, std::string_view raw_model) {
  const std::string model = percent_decode(raw_model);
  auto name = common::ModelName::parse(model);
  auto m = name ? ctx.state.find_model(name->short_key()) : std::nullopt;
  c.body.clear();
  if (!m) {
    append_oai_error(c.body, 404, "model '" + model + "' not found");
    c.body += '\n';
    co_await c.respond(404, kJsonPlain, c.body);
    co_return;
  }
  c.body += "{\"id\":";
  gojson::append_string(c.body, model);
  c.body += ",\"object\":\"model\",\"created\":";
  append_int(c.body, std::chrono::duration_cast<std::chrono::seconds>(m->modified_at.time_since_epoch()).count());
  c.body += ",\"owned_by\":";
  gojson::append_string(c.body, owner_of(m->display));
  c.body += "}\n";
  co_await c.respond(200, kJsonPlain, c.body);
}

}  // namespace corral::sim
