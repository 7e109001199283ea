// Logging facade over spdlog: one stderr logger with Corral's pattern, set up once at startup.
// Control plane only (startup summary, health transitions, reloads, ejections): nothing on a request's
// hot path logs (the access log goes through its own asynchronous sink).
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace corral::log {

/// Installs the default logger (stderr, `2026-01-01 12:00:00.000 [warn] text`). `level` is an spdlog
/// level name ("info", "debug", ...); the CORRAL_LOG_LEVEL environment variable overrides it. Idempotent.
void init(std::string_view level = "info");

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

/// `text` cut to 128 bytes with CR, LF and other control bytes escaped, for logging peer-supplied text
/// (log injection, reliability.md section 3).
[[nodiscard]] std::string sanitize(std::string_view text);

}  // namespace corral::log
