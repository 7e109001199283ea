// Test helper: a stand-in backend that answers each request with bytes the test writes by hand, for
// answers no simulator gives (broken framing, a head with a body that is not what it says). Requests
// are read whole with Beast; the reply for them comes from the test's function, then the connection
// stays open for the next request unless the reply says to close it. Health checks (`GET /`) and model
// polls (`/api/tags`, `/api/ps`) get Ollama-shaped answers of their own unless the function takes them.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace corral::testing {

struct RawReply {
  std::string bytes;   ///< written as they are
  bool close = false;  ///< close the connection after them
};

class RawBackend final {
 public:
  /// What to answer a request with method `method` and target `target`; a reply with no bytes leaves it
  /// to the default answers above (and a 404 for anything else).
  using Handler = std::function<RawReply(const std::string& method, const std::string& target)>;

  /// Listens on 127.0.0.1, port 0. `models_json` is the /api/tags and /api/ps answer.
  explicit RawBackend(Handler handler, std::string models_json = R"({"models":[]})");
  ~RawBackend();
  RawBackend(const RawBackend&) = delete;
  RawBackend& operator=(const RawBackend&) = delete;

  /// Requests the handler answered (not the default answers).
  [[nodiscard]] int handled() const;

  std::string address;  ///< "127.0.0.1:PORT"
  [[nodiscard]] std::string url() const { return "http://" + address; }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// A 200 head with `Transfer-Encoding: chunked` and `content_type`, then `body` as written (framing
/// included: the test's own, broken or not).
[[nodiscard]] std::string chunked_reply(const std::string& content_type, const std::string& body);

}  // namespace corral::testing
