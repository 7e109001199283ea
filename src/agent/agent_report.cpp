#include "agent/agent_report.hpp"

#include <boost/json.hpp>

#include "metrics/corral_metrics.hpp"
#include "metrics/prometheus_text.hpp"

namespace corral::agent {

std::string render_metrics(const AgentReport& r) {
  // A fresh registry per scrape: GPUs and loaded models come and go, and a scrape every few
  // seconds is nowhere near a hot path.
  metrics::Registry reg;
  auto& used = metrics::add_family(reg, "ollama_worker_vram_used_bytes");
  auto& free = metrics::add_family(reg, "ollama_worker_vram_free_bytes");
  auto& total = metrics::add_family(reg, "ollama_worker_vram_total_bytes");
  auto& util = metrics::add_family(reg, "ollama_worker_gpu_utilization_pct");
  auto& count = metrics::add_family(reg, "ollama_worker_gpus");
  auto& nvml_up = metrics::add_family(reg, "ollama_worker_nvml_up");
  for (const auto& g : r.gpus) {
    const std::vector<std::string> labels{std::to_string(g.index), g.name};
    used.gauge(labels).set(static_cast<double>(g.vram_used_bytes));
    free.gauge(labels).set(static_cast<double>(g.vram_free_bytes));
    total.gauge(labels).set(static_cast<double>(g.vram_total_bytes));
    if (g.utilization_pct) util.gauge(labels).set(*g.utilization_pct);
  }
  count.gauge({}).set(static_cast<double>(r.gpus.size()));
  nvml_up.gauge({}).set(r.nvml_ok ? 1 : 0);
  if (r.ollama) {
    auto& up = metrics::add_family(reg, "ollama_worker_ollama_up");
    auto& loaded = metrics::add_family(reg, "ollama_worker_loaded_models");
    auto& model_vram = metrics::add_family(reg, "ollama_worker_model_vram_bytes");
    up.gauge({}).set(r.ollama->reachable ? 1 : 0);
    loaded.gauge({}).set(static_cast<double>(r.ollama->models.size()));
    for (const auto& m : r.ollama->models) model_vram.gauge({m.name}).set(static_cast<double>(m.vram_bytes));
  }
  return metrics::prometheus_text(reg);
}

std::string render_json(const AgentReport& r) {
  namespace json = boost::json;
  json::object o;
  o["agent"] = "corral-agent";
  o["version"] = CORRAL_VERSION;
  o["time_unix_ms"] = r.time_unix_ms;
  o["nvml_ok"] = r.nvml_ok;
  if (!r.nvml_ok) o["nvml_error"] = r.nvml_error;
  json::array gpus;
  std::uint64_t total = 0, used = 0, free = 0;
  for (const auto& g : r.gpus) {
    json::object j;
    j["index"] = g.index;
    j["name"] = g.name;
    j["vram_total_bytes"] = g.vram_total_bytes;
    j["vram_used_bytes"] = g.vram_used_bytes;
    j["vram_free_bytes"] = g.vram_free_bytes;
    j["utilization_pct"] = g.utilization_pct ? json::value(*g.utilization_pct) : json::value(nullptr);
    j["memory_utilization_pct"] = g.memory_utilization_pct ? json::value(*g.memory_utilization_pct) : json::value(nullptr);
    gpus.push_back(std::move(j));
    total += g.vram_total_bytes;
    used += g.vram_used_bytes;
    free += g.vram_free_bytes;
  }
  o["gpus"] = std::move(gpus);
  o["totals"] = {{"gpus", r.gpus.size()}, {"vram_total_bytes", total}, {"vram_used_bytes", used}, {"vram_free_bytes", free}};
  if (r.ollama) {
    json::object ol;
    ol["url"] = r.ollama->url;
    ol["reachable"] = r.ollama->reachable;
    if (!r.ollama->reachable) ol["error"] = r.ollama->error;
    json::array models;
    for (const auto& m : r.ollama->models) {
      models.push_back({{"name", m.name}, {"size_bytes", m.size_bytes}, {"vram_bytes", m.vram_bytes},
                        {"expires_at", m.expires_at}});
    }
    ol["loaded_models"] = std::move(models);
    o["ollama"] = std::move(ol);
  } else {
    o["ollama"] = nullptr;
  }
  return json::serialize(o);
}

}  // namespace corral::agent
