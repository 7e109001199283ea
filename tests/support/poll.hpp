// Test helper: waiting for a state instead of for time. poll_until() re-checks a predicate until it
// holds; its deadline only fails a hung test (no assertion may depend on how long anything took), so it
// is generous and the same for every test.
#pragma once

#include <chrono>
#include <functional>

namespace corral::testing {

/// How long any wait of the test support gives a process, connection or state before failing the test.
inline constexpr std::chrono::milliseconds kDeadline = std::chrono::seconds(60);

/// Checks `done` every 10 ms until it returns true (true) or `deadline` passes (false; the predicate
/// gets one last check after the deadline).
[[nodiscard]] bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds deadline = kDeadline);

}  // namespace corral::testing
