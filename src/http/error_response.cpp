#include "http/error_response.hpp"

#include "common/go_json.hpp"

namespace corral::http1 {

std::string_view openai_error_type(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 404: return "not_found_error";
    default: return "api_error";
  }
}

std::string_view anthropic_error_type(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return "api_error";
  }
}

std::string error_body(routing::ErrorFamily family, int status, std::string_view message) {
  std::string body;
  switch (family) {
    case routing::ErrorFamily::kOllama:
      return gojson::error_body(message);
    case routing::ErrorFamily::kOpenAI:
      body = R"({"error":{"message":)";
      gojson::append_string(body, message);
      body += R"(,"type":")";
      body += openai_error_type(status);
      body += R"(","param":null,"code":null}})";
      return body;
    case routing::ErrorFamily::kAnthropic:
      body = R"({"type":"error","error":{"type":")";
      body += anthropic_error_type(status);
      body += R"(","message":)";
      gojson::append_string(body, message);
      body += "}}";
      return body;
  }
  return gojson::error_body(message);
}

std::string simple_response(int status, std::string_view content_type, std::string_view body,
                            const ResponseOptions& options) {
  std::string out;
  out.reserve(160 + body.size());
  out += options.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += std::string_view(http::obsolete_reason(static_cast<http::status>(status)));
  out += "\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: ";
    out += content_type;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  if (options.retry_after > 0) {
    out += "Retry-After: ";
    out += std::to_string(options.retry_after);
    out += "\r\n";
  }
  if (!options.allow.empty()) {
    out += "Allow: ";
    out += options.allow;
    out += "\r\n";
  }
  if (options.bearer_challenge) out += "WWW-Authenticate: Bearer realm=\"corral\"\r\n";
  if (!options.accept_encoding.empty()) {
    out += "Accept-Encoding: ";
    out += options.accept_encoding;
    out += "\r\n";
  }
  if (!options.request_id.empty()) {
    out += "X-Request-ID: ";
    out += options.request_id;
    out += "\r\n";
  }
  if (!options.keep_alive || options.version == 10) out += "Connection: close\r\n";
  out += "\r\n";
  if (!options.head_only) out += body;
  return out;
}

std::string refusal_response(int status, routing::ErrorFamily family, std::string_view message,
                             const ResponseOptions& options) {
  return simple_response(status,
                         family == routing::ErrorFamily::kOllama ? "application/json; charset=utf-8"
                                                                 : "application/json",
                         error_body(family, status, message), options);
}

std::string error_response(const ProxyError& error, routing::ErrorFamily family, ResponseOptions options) {
  const ErrorInfo& info = error_info(error.kind);
  const int status = info.status;
  const bool gin_text = error.kind == ErrorKind::kNotFound ||
                        (error.kind == ErrorKind::kMethodNotAllowed && family != routing::ErrorFamily::kAnthropic);
  if (gin_text) return simple_response(status, "text/plain", info.message, options);
  if (info.retry_after && options.retry_after == 0) options.retry_after = 1;
  if (!info.retry_after) options.retry_after = 0;
  return refusal_response(status, family, error.message(), options);
}

}  // namespace corral::http1
