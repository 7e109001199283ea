// Test helper: `corral sim` processes and what tests read from them. A sim's /sim/stats counters are the
// evidence most integration tests assert on (where requests went, what was loaded, cancelled, faulted).
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace corral::testing {

/// `corral sim --listen 127.0.0.1:0` with `models` (NAME=SIZE, e.g. "llama3:8b=1GB") and `extra` flags.
/// Loads are fast (--load-gbps 1000) and tokens steady (--tokens-per-second 200) unless `extra` sets them.
[[nodiscard]] Server start_sim(const std::vector<std::string>& models, const std::vector<std::string>& extra = {});

/// A sim's GET /sim/stats.
[[nodiscard]] boost::json::object sim_stats(const std::string& address);
[[nodiscard]] inline boost::json::object sim_stats(const Server& sim) { return sim_stats(sim.address); }
/// One integer field of /sim/stats (e.g. "requests", "active", "cancelled").
[[nodiscard]] std::int64_t stat(const std::string& address, const char* key);
[[nodiscard]] inline std::int64_t stat(const Server& sim, const char* key) { return stat(sim.address, key); }

/// Whether `sim`'s /api/tags lists `model` (display name, e.g. "m:latest").
[[nodiscard]] bool lists_model(const Server& sim, const std::string& model);
/// Loads `model` on `sim` directly (Ollama's empty-prompt load request).
void preload(const Server& sim, const std::string& model);

/// An /api/generate body for `model` with num_predict `tokens`.
[[nodiscard]] std::string generate_body(const std::string& model, int tokens = 3, bool stream = false);

[[nodiscard]] inline boost::json::value parse_json(const std::string& text) { return boost::json::parse(text); }
/// The lines of an NDJSON body, each parsed.
[[nodiscard]] std::vector<boost::json::object> ndjson_lines(const std::string& body);

}  // namespace corral::testing
