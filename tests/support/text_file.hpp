// Whole-file reads for tests that check committed files (docs, deploy manifests).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace corral::testing {

inline std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace corral::testing
