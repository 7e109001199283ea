#include "upstream/agent_reading.hpp"

#include <boost/json.hpp>

#include "upstream/backend.hpp"

namespace corral::upstream {
namespace {

namespace json = boost::json;

std::optional<std::uint64_t> u64(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  error_code ec;
  const auto n = v->to_number<std::uint64_t>(ec);
  if (ec) return std::nullopt;
  return n;
}

// What the models Corral knows of on `b` take: loaded ones and loads under way.
std::uint64_t known_model_bytes(const Backend& b) {
  std::uint64_t sum = 0;
  for (const auto& [hash, s] : *b.catalog.table()) {
    if (s->loaded.load(std::memory_order_relaxed) || s->loading_since_ns.load(std::memory_order_relaxed) != 0) {
      sum += s->bytes();
    }
  }
  return sum;
}

}  // namespace

std::optional<AgentSample> parse_agent_report(std::string_view text) {
  error_code ec;
  const json::value root = json::parse(text, ec);
  const auto* o = root.if_object();
  if (ec || o == nullptr) return std::nullopt;
  const auto* ok = o->if_contains("nvml_ok");
  const auto* gpus = o->if_contains("gpus");
  if (ok == nullptr || !ok->is_bool() || !ok->get_bool() || gpus == nullptr || !gpus->is_array()) return std::nullopt;
  AgentSample s;
  double util_sum = 0;
  int util_n = 0;
  for (const auto& g : gpus->get_array()) {
    const auto* go = g.if_object();
    if (go == nullptr) return std::nullopt;
    const auto total = u64(*go, "vram_total_bytes");
    const auto used = u64(*go, "vram_used_bytes");
    if (!total || !used) return std::nullopt;
    s.vram_total += *total;
    s.vram_used += *used;
    if (const auto* u = go->if_contains("utilization_pct"); u != nullptr && u->is_number()) {
      util_sum += u->to_number<double>();
      ++util_n;
    }
  }
  if (s.vram_total == 0) return std::nullopt;
  if (util_n > 0) s.gpu_utilization_pct = util_sum / util_n;
  return s;
}

bool AgentReading::store(const AgentSample& s) {
  total_.store(s.vram_total, std::memory_order_relaxed);
  used_.store(s.vram_used, std::memory_order_relaxed);
  util_milli_.store(s.gpu_utilization_pct ? static_cast<std::int64_t>(*s.gpu_utilization_pct * 1000) : -1,
                    std::memory_order_relaxed);
  return !up_.exchange(true, std::memory_order_release);
}

bool AgentReading::mark_down() { return up_.exchange(false, std::memory_order_release); }

AgentSample AgentReading::sample() const {
  AgentSample s;
  s.vram_total = total_.load(std::memory_order_relaxed);
  s.vram_used = used_.load(std::memory_order_relaxed);
  const std::int64_t util = util_milli_.load(std::memory_order_relaxed);
  if (util >= 0) s.gpu_utilization_pct = static_cast<double>(util) / 1000.0;
  return s;
}

std::string_view to_string(VramSource source) {
  switch (source) {
    case VramSource::kAgent: return "agent";
    case VramSource::kConfig: return "config";
    case VramSource::kUnknown: break;
  }
  return "unknown";
}

VramView vram_view(const Backend& b, const config::BackendConfig* cfg) {
  VramView v;
  if (b.agent && b.agent_reading.up()) {
    const AgentSample s = b.agent_reading.sample();
    v.source = VramSource::kAgent;
    v.total = s.vram_total;
    v.used = s.vram_used;
    v.gpu_utilization_pct = s.gpu_utilization_pct;
  } else if (cfg != nullptr && cfg->vram) {
    v.source = VramSource::kConfig;
    v.total = cfg->vram;
    v.used = known_model_bytes(b);
  }
  return v;
}

std::optional<std::uint64_t> placement_vram(const Backend& b, const config::BackendConfig& cfg) {
  if (!b.agent || !b.agent_reading.up()) return cfg.vram;
  const AgentSample s = b.agent_reading.sample();
  const std::uint64_t known = known_model_bytes(b);
  const std::uint64_t foreign = s.vram_used > known ? s.vram_used - known : 0;
  return s.vram_total > foreign ? s.vram_total - foreign : 0;
}

}  // namespace corral::upstream
