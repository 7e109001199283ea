#include "fleet_ops/management_merge.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "common/go_json.hpp"

namespace corral::fleet_ops {
namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The object `json` parses to, or nullopt.
std::optional<boost::json::object> object_of(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

}  // namespace

std::string_view call_name(routing::Endpoint endpoint) {
  switch (endpoint) {
    case routing::Endpoint::kPull: return "pull";
    case routing::Endpoint::kCreate: return "create";
    case routing::Endpoint::kCopy: return "copy";
    default: return "delete";
  }
}

std::vector<std::string_view> split_names(std::string_view header) {
  std::vector<std::string_view> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view name = trim_blanks(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

std::string tag_line(std::string_view line, std::string_view backend) {
  line = trim_blanks(line);
  std::string out;
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') {
    out.assign(line);
  } else {
    const std::string_view inside = trim_blanks(line.substr(1, line.size() - 2));
    out.assign(line.substr(0, line.size() - 1));
    if (!inside.empty()) out += ',';
    out += "\"backend\":";
    gojson::append_string(out, backend);
    out += '}';
  }
  out += '\n';
  return out;
}

std::string finished_line(std::string_view backend) {
  std::string out = "{\"status\":\"finished\",\"backend\":";
  gojson::append_string(out, backend);
  out += "}\n";
  return out;
}

std::string waiting_line(std::string_view backend) {
  std::string out = "{\"status\":";
  gojson::append_string(out, "waiting for another pull on " + std::string(backend));
  out += ",\"backend\":";
  gojson::append_string(out, backend);
  out += "}\n";
  return out;
}

std::optional<std::string> error_field(std::string_view json) {
  const auto o = object_of(json);
  const auto* e = o ? o->if_contains("error") : nullptr;
  if (e == nullptr || !e->is_string()) return std::nullopt;
  return std::string(e->as_string());
}

bool is_success(std::string_view line) {
  const auto o = object_of(line);
  const auto* s = o ? o->if_contains("status") : nullptr;
  return s != nullptr && s->is_string() && s->as_string() == "success";
}

Verdict merge_outcomes(routing::Endpoint endpoint, std::string_view model,
                       const std::vector<BackendOutcome>& outcomes) {
  const bool del = endpoint == routing::Endpoint::kDelete;
  std::size_t ok = 0;
  std::string failed;
  for (const BackendOutcome& o : outcomes) {
    if (o.ok) {
      ++ok;
    } else if (!(del && o.status == 404)) {
      failed += failed.empty() ? "" : "; ";
      failed += o.name + ": " + o.error;
    }
  }
  if (failed.empty() && ok > 0) return {};
  if (failed.empty()) {  // nobody had the model (delete) or the source (copy): Ollama's 404 texts
    if (endpoint == routing::Endpoint::kCopy) return {404, "model " + gojson::quote(model) + " not found"};
    return {404, "model '" + std::string(model) + "' not found"};
  }
  const BackendOutcome& first = outcomes.front();
  const bool same_client_error = first.status >= 400 && first.status < 500 &&
                                 std::all_of(outcomes.begin(), outcomes.end(), [&](const BackendOutcome& o) {
                                   return !o.ok && o.status == first.status;
                                 });
  if (same_client_error) return {first.status, first.error};
  return {502, std::string(call_name(endpoint)) + " failed on " + failed};
}

}  // namespace corral::fleet_ops
