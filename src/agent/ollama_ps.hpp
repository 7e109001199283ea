// OllamaPs: what the local Ollama reports at GET /api/ps (models loaded, VRAM each holds),
// fetched with a short deadline so a stuck Ollama never stalls a scrape for long.
// Ollama has no API for its internal queue; queue depth is the gateway's view
// (ollama_worker_queue_depth{backend}), see docs/observability.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"

namespace corral::agent {

struct LoadedModel {
  std::string name;
  std::uint64_t size_bytes = 0;
  std::uint64_t vram_bytes = 0;
  std::string expires_at;  // as Ollama wrote it (RFC 3339)
};

struct OllamaState {
  std::string url;
  bool reachable = false;
  std::string error;  // why not reachable
  std::vector<LoadedModel> models;
};

/// Parses an /api/ps body; nullopt when it is not the expected JSON shape.
std::optional<std::vector<LoadedModel>> parse_ollama_ps(std::string_view body);

/// "http://host:port" (path ignored; https is not supported on the loopback hop).
struct HttpTarget {
  std::string host;
  std::string port;
};
std::optional<HttpTarget> parse_http_url(std::string_view url);

/// GET {url}/api/ps under `timeout`; never throws.
net::awaitable<OllamaState> fetch_ollama_ps(std::string url, std::chrono::milliseconds timeout);

}  // namespace corral::agent
