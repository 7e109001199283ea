// The pure half of the management fan-out (management_fanout.hpp): how a backend's progress line is
// tagged for the merged stream, how its answers are read, and how the backends' outcomes become the one
// answer the client gets (docs/models.md, "Management calls"). No I/O; unit-tested on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/router.hpp"

namespace corral::fleet_ops {

/// "pull", "create", "copy" or "delete": the word the merged error starts with.
[[nodiscard]] std::string_view call_name(routing::Endpoint endpoint);

/// The backend names of an `X-Corral-Backend` value: comma-separated, blanks trimmed, empty items skipped.
[[nodiscard]] std::vector<std::string_view> split_names(std::string_view header);

/// One NDJSON progress line (a JSON object, with or without its newline) with `"backend":NAME` added as
/// its last field and a newline; the backend's own fields stay as sent. A line that is no object passes
/// unchanged.
[[nodiscard]] std::string tag_line(std::string_view line, std::string_view backend);

/// What a backend's own `{"status":"success"}` becomes in the merged stream: `{"status":"finished",
/// "backend":NAME}` (clients stop at the first `success`, which must be the merged one).
[[nodiscard]] std::string finished_line(std::string_view backend);

/// What a streamed pull's client hears while the backend's pull slot is taken by another pull:
/// `{"status":"waiting for another pull on NAME","backend":NAME}` and a newline (Ollama's progress shape).
[[nodiscard]] std::string waiting_line(std::string_view backend);

/// The `error` string of a JSON object (Ollama's error shape), or nullopt.
[[nodiscard]] std::optional<std::string> error_field(std::string_view json);

/// Whether a progress line is `{"status":"success"}` (a backend's end).
[[nodiscard]] bool is_success(std::string_view line);

/// How one backend's part ended.
struct BackendOutcome {
  std::string name;
  int status = 0;     ///< its HTTP status; 0 when none came
  bool ok = false;
  std::string error;  ///< why it failed
};

/// The merged answer: status 200 and no error when the call succeeded.
struct Verdict {
  int status = 200;
  std::string error;
};

/// Every backend succeeded -> 200. Delete: a backend answering 404 had nothing to delete (done), and no
/// backend having the model (none answered, or all 404) is Ollama's 404 `model 'NAME' not found`; copy
/// with no backend having the source is Ollama's 404 `model "NAME" not found`. The same 4xx from every
/// backend (a client mistake) is passed on with the first backend's error. Anything else is a 502
/// `<call> failed on A: why; B: why` naming each backend that failed. `model` is the name as sent.
[[nodiscard]] Verdict merge_outcomes(routing::Endpoint endpoint, std::string_view model,
                                     const std::vector<BackendOutcome>& outcomes);

}  // namespace corral::fleet_ops
