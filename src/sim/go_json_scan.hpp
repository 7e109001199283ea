// Go's encoding/json Decoder as Ollama's handlers see it: it reads ONE value from the body (bytes after
// it are ignored), and its syntax errors have a recognisable text ("invalid character 'x' looking for
// beginning of value", "unexpected EOF"). The simulator scans with this first so a malformed body gets
// Ollama's own error text, then hands exactly the first value to simdjson.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace corral::sim {

struct GoScan {
  enum class Status { kOk, kEmpty, kError };
  Status status = Status::kOk;
  std::size_t end = 0;  ///< kOk: offset just past the first value
  std::string error;    ///< kError: Go's message
};

[[nodiscard]] GoScan scan_go_json(std::string_view body);

}  // namespace corral::sim
