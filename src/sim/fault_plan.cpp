#include "sim/fault_plan.hpp"

#include <simdjson.h>

#include "common/go_json.hpp"
#include "common/units.hpp"
#include "sim/dom_access.hpp"

namespace corral::sim {
namespace {

namespace dom = simdjson::dom;

// A duration as a Go string ("1.5s") or a JSON number of seconds.
bool read_duration(dom::element v, std::chrono::nanoseconds& out) {
  if (v.is_string()) {
    auto d = units::parse_go_duration(std::string_view(v.get_string().value_unsafe()));
    if (!d || d->count() < 0) return false;
    out = *d;
    return true;
  }
  if (v.is_number()) {
    const double s = v.get_double().value_unsafe();
    if (s < 0 || s > 1e9) return false;
    out = std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
    return true;
  }
  return false;
}

bool read_int(dom::element v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (!v.is_int64()) return false;
  out = v.get_int64().value_unsafe();
  return out >= lo && out <= hi;
}

std::string default_message(int status) {
  if (status == 503) return "server busy, please try again.  maximum pending requests exceeded";
  if (status == 500) return "an error was encountered while running the model: simulated fault";
  return "simulated fault";
}

}  // namespace

std::optional<FaultPlan> parse_fault_plan(std::string_view json, std::string& error) {
  dom::parser parser;
  simdjson::padded_string padded(json);
  dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS || !root.is_object()) {
    error = "fault plan: expected a JSON object";
    return std::nullopt;
  }
  FaultPlan plan;
  for (auto field : as_object(root)) {
    const std::string_view k = field.key;
    const dom::element v = field.value;
    std::int64_t n = 0;
    bool ok = true;
    if (k == "refuse_connections") ok = v.is_bool() && ((plan.refuse_connections = v.get_bool().value_unsafe()), true);
    else if (k == "exit") ok = v.is_bool() && ((plan.exit = v.get_bool().value_unsafe()), true);
    else if (k == "error_status") ok = read_int(v, 400, 599, n) && ((plan.error_status = static_cast<int>(n)), true);
    else if (k == "error_message") ok = v.is_string() && ((plan.error_message = std::string(v.get_string().value_unsafe())), true);
    else if (k == "stall_after_chunks") ok = read_int(v, 0, 1 << 30, n) && ((plan.stall_after_chunks = static_cast<int>(n)), true);
    else if (k == "stall_for") ok = read_duration(v, plan.stall_for);
    else if (k == "close_after_chunks") ok = read_int(v, 0, 1 << 30, n) && ((plan.close_after_chunks = static_cast<int>(n)), true);
    else if (k == "health_delay") ok = read_duration(v, plan.health_delay);
    else if (k == "requests") ok = read_int(v, -1, std::int64_t{1} << 40, n) && ((plan.requests = n), true);
    else if (k == "duration") ok = read_duration(v, plan.duration);
    else {
      error = "fault plan: unknown key \"" + std::string(k) + "\"";
      return std::nullopt;
    }
    if (!ok) {
      error = "fault plan: bad value for \"" + std::string(k) + "\"";
      return std::nullopt;
    }
  }
  if (plan.stall_after_chunks >= 0 && plan.stall_for.count() == 0) plan.stall_for = std::chrono::hours(1);
  if (plan.error_status != 0 && plan.error_message.empty()) plan.error_message = default_message(plan.error_status);
  return plan;
}

std::string fault_plan_json(const FaultPlan& p) {
  std::string out = "{\"refuse_connections\":";
  out += p.refuse_connections ? "true" : "false";
  out += ",\"error_status\":" + std::to_string(p.error_status) + ",\"error_message\":";
  gojson::append_string(out, p.error_message);
  out += ",\"stall_after_chunks\":" + std::to_string(p.stall_after_chunks);
  out += ",\"stall_for\":\"" + units::format_go_duration(p.stall_for) + "\"";
  out += ",\"close_after_chunks\":" + std::to_string(p.close_after_chunks);
  out += ",\"health_delay\":\"" + units::format_go_duration(p.health_delay) + "\"";
  out += ",\"exit\":";
  out += p.exit ? "true" : "false";
  out += ",\"requests\":" + std::to_string(p.requests);
  out += ",\"duration\":\"" + units::format_go_duration(p.duration) + "\"}";
  return out;
}

void FaultState::set(FaultPlan plan) {
  std::lock_guard lock(mu_);
  until_ = plan.duration.count() > 0 ? std::chrono::steady_clock::now() + plan.duration
                                     : std::chrono::steady_clock::time_point::max();
  plan_ = std::move(plan);
  active_.store(true, std::memory_order_release);
}

void FaultState::clear() {
  std::lock_guard lock(mu_);
  plan_.reset();
  active_.store(false, std::memory_order_release);
}

bool FaultState::live_locked() {
  if (!plan_) return false;
  if (std::chrono::steady_clock::now() >= until_) {
    plan_.reset();
    active_.store(false, std::memory_order_release);
    return false;
  }
  return true;
}

bool FaultState::refuse_connections() {
  if (!any()) return false;
  std::lock_guard lock(mu_);
  return live_locked() && plan_->refuse_connections;
}

std::chrono::nanoseconds FaultState::health_delay() {
  if (!any()) return std::chrono::nanoseconds{0};
  std::lock_guard lock(mu_);
  return live_locked() ? plan_->health_delay : std::chrono::nanoseconds{0};
}

std::optional<RequestFaults> FaultState::take_for_request() {
  if (!any()) return std::nullopt;
  std::lock_guard lock(mu_);
  if (!live_locked() || !plan_->affects_requests() || plan_->requests == 0) return std::nullopt;
  if (plan_->requests > 0) --plan_->requests;
  return RequestFaults{plan_->error_status, plan_->error_message, plan_->stall_after_chunks, plan_->stall_for,
                       plan_->close_after_chunks};
}

FaultPlan FaultState::current() {
  std::lock_guard lock(mu_);
  return live_locked() ? *plan_ : FaultPlan{};
}

}  // namespace corral::sim
