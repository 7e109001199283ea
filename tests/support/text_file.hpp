// Whole-file reads and writes for tests: committed files they check (docs, deploy manifests), and the
// temporary files they hand to corral (configs, certificates, logs).
#pragma once

#include <filesystem>
#include <string>

namespace corral::testing {

/// The whole file, "" when it cannot be read.
[[nodiscard]] std::string read_text_file(const std::filesystem::path& p);

/// Writes `text` to a fresh file /tmp/corral-test-XXXXXX`suffix` and returns its path. Left to /tmp's
/// cleaning unless the test removes it.
[[nodiscard]] std::string write_temp(const std::string& text, const std::string& suffix = ".yaml");

/// Replaces `path` with `text` in one rename, so a reader never sees a half-written file.
void replace_file(const std::filesystem::path& path, const std::string& text);

}  // namespace corral::testing
