#include "fleet_ops/aggregate.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/json.hpp>

#include "http/error_response.hpp"
#include "upstream/backend.hpp"
#include "upstream/http_get.hpp"

namespace corral::fleet_ops {
namespace {

namespace json = boost::json;

bool digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return false;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int num(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// Collects the objects of `key` arrays (`models` or `data`) from every body.
std::vector<json::object> collect(const std::vector<std::string>& bodies, std::string_view key) {
  std::vector<json::object> items;
  for (const std::string& body : bodies) {
    boost::system::error_code ec;
    json::value root = json::parse(body, ec);
    if (ec || !root.is_object()) continue;
    auto* list = root.as_object().if_contains(key);
    if (list == nullptr || !list->is_array()) continue;
    for (auto& item : list->as_array()) {
      if (item.is_object()) items.push_back(std::move(item.as_object()));
    }
  }
  return items;
}

Instant time_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return Instant{INT64_MIN, 0};
  return parse_rfc3339(std::string_view(v->as_string())).value_or(Instant{INT64_MIN, 0});
}

std::string_view string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

// Sorts newest first by `rank`, keeps the first entry of each `id_key`.
template <class Rank>
std::vector<json::object> newest_unique(std::vector<json::object> items, std::string_view id_key, Rank rank) {
  std::stable_sort(items.begin(), items.end(), [&](const json::object& a, const json::object& b) {
    return rank(a) > rank(b);
  });
  std::vector<json::object> out;
  std::unordered_set<std::string> seen;
  for (auto& item : items) {
    if (seen.insert(std::string(string_field(item, id_key))).second) out.push_back(std::move(item));
  }
  return out;
}

std::string models_list(std::vector<json::object> items) {
  json::array arr;
  for (auto& o : items) arr.emplace_back(std::move(o));
  json::object root;
  root["models"] = std::move(arr);
  return json::serialize(root);
}

}  // namespace

std::optional<Instant> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (!digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2) ||
      (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2) || s[16] != ':' ||
      !digits(s, 17, 2)) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{year{num(s, 0, 4)}, month{static_cast<unsigned>(num(s, 5, 2))},
                           day{static_cast<unsigned>(num(s, 8, 2))}};
  if (!ymd.ok()) return std::nullopt;
  Instant t;
  t.seconds = duration_cast<seconds>(sys_days{ymd}.time_since_epoch()).count() +
              static_cast<std::int64_t>(num(s, 11, 2)) * 3600 + num(s, 14, 2) * 60 + num(s, 17, 2);
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::int64_t frac = 0;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) {
        frac = frac * 10 + (s[pos] - '0');
        ++n;
      }
      ++pos;
    }
    for (; n < 9; ++n) frac *= 10;
    t.nanos = static_cast<std::int32_t>(frac);
  }
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional(t) : std::nullopt;
  if ((s[pos] != '+' && s[pos] != '-') || !digits(s, pos + 1, 2) || pos + 6 != s.size() || s[pos + 3] != ':' ||
      !digits(s, pos + 4, 2)) {
    return std::nullopt;
  }
  const std::int64_t offset = num(s, pos + 1, 2) * 3600LL + num(s, pos + 4, 2) * 60LL;
  t.seconds += s[pos] == '+' ? -offset : offset;
  return t;
}

std::string merge_tags(const std::vector<std::string>& bodies) {
  return models_list(newest_unique(collect(bodies, "models"), "name",
                                   [](const json::object& o) { return time_field(o, "modified_at"); }));
}

std::string merge_ps(const std::vector<std::string>& bodies) {
  return models_list(newest_unique(collect(bodies, "models"), "name",
                                   [](const json::object& o) { return time_field(o, "expires_at"); }));
}

std::string merge_openai_models(const std::vector<std::string>& bodies) {
  auto items = newest_unique(collect(bodies, "data"), "id", [](const json::object& o) {
    const auto* v = o.if_contains("created");
    return v != nullptr && v->is_int64() ? v->as_int64() : INT64_MIN;
  });
  json::object root;
  root["object"] = "list";
  if (items.empty()) {
    root["data"] = nullptr;
  } else {
    json::array arr;
    for (auto& o : items) arr.emplace_back(std::move(o));
    root["data"] = std::move(arr);
  }
  return json::serialize(root);
}

net::awaitable<gateway::Completion> aggregate(gateway::ProxyContext& ctx, gateway::ClientRequest& req) {
  const auto snap = ctx.gw.registry.current();
  const config::Config& cfg = *snap->config;
  std::string_view path = "/api/tags";
  if (req.route.endpoint == routing::Endpoint::kPs) path = "/api/ps";
  if (req.route.endpoint == routing::Endpoint::kModelsList) path = "/v1/models";

  std::vector<std::shared_ptr<const upstream::Backend>> targets;
  std::unordered_set<std::string> seen;
  for (const auto& b : snap->backends) {
    if (b->healthy.load(std::memory_order_relaxed) && seen.insert(b->authority + b->path_prefix).second) {
      targets.push_back(b);
    }
  }
  const auto timeout = cfg.timeouts.connect + cfg.health.timeout;
  std::vector<std::string> bodies;
  auto fetched = co_await upstream::fetch_from_all(ctx.pool, targets, path, timeout);
  for (auto& b : fetched) {
    if (b) bodies.push_back(std::move(*b));
  }
  const bool openai = req.route.endpoint == routing::Endpoint::kModelsList;
  const std::string body = openai ? merge_openai_models(bodies)
                           : req.route.endpoint == routing::Endpoint::kPs ? merge_ps(bodies)
                                                                          : merge_tags(bodies);
  http1::ResponseOptions o;
  o.version = req.msg.version();
  o.keep_alive = req.keep_alive;
  o.head_only = req.msg.method() == http::verb::head;
  o.request_id = req.request_id;
  const std::string bytes = http1::simple_response(
      200, openai ? "application/json" : "application/json; charset=utf-8", body, o);
  const bool ok = co_await gateway::write_all(req.client, bytes);
  co_return gateway::Completion{ok && req.keep_alive};
}

}  // namespace corral::fleet_ops
