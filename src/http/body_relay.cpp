#include "http/body_relay.hpp"

#include "common/go_json.hpp"
#include "http/error_response.hpp"

namespace corral::http1 {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

StreamFormat stream_format(std::string_view content_type) {
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  if (starts_with_ci(content_type, "application/x-ndjson")) return StreamFormat::kNdjson;
  if (starts_with_ci(content_type, "text/event-stream")) return StreamFormat::kSse;
  return StreamFormat::kOther;
}

std::string error_tail(StreamFormat format, routing::ErrorFamily family, std::string_view message,
                       const char (&last)[2]) {
  constexpr int kCut = 502;  // what a cut stream would have been answered with before its head
  std::string out;
  switch (format) {
    case StreamFormat::kOther:
      return out;
    case StreamFormat::kNdjson:
      if (last[1] != '\n' && last[1] != 0) out += '\n';
      out += gojson::error_body(message);
      out += '\n';
      return out;
    case StreamFormat::kSse:
      if (last[1] != 0) {
        if (last[1] != '\n') {
          out += "\n\n";
        } else if (last[0] != '\n') {
          out += '\n';
        }
      }
      if (family == routing::ErrorFamily::kAnthropic) {
        // Anthropic's SDKs turn an `error` event into a typed exception; a bare data line would be read
        // as an unknown event and the stream would look merely unfinished.
        out += "event: error\ndata: ";
        out += error_body(family, kCut, message);
      } else {
        out += "data: ";
        out += error_body(routing::ErrorFamily::kOpenAI, kCut, message);
      }
      out += "\n\n";
      return out;
  }
  return out;
}

}  // namespace corral::http1
