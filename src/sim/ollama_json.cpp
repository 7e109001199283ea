#include "sim/ollama_json.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>

#include "common/go_json.hpp"
#include "sim/wire_format.hpp"

namespace corral::sim {
namespace {

void append_created_at(std::string& out) {
  out += ",\"created_at\":\"";
  append_rfc3339_utc(out, std::chrono::system_clock::now());
  out += '"';
}

void append_metric(std::string& out, std::string_view key, std::int64_t v) {
  if (v == 0) return;
  out += ",\"";
  out += key;
  out += "\":";
  append_int(out, v);
}

void append_stats(std::string& out, const FinalStats& s) {
  append_metric(out, "total_duration", s.total_duration);
  append_metric(out, "load_duration", s.load_duration);
  append_metric(out, "prompt_eval_count", s.prompt_eval_count);
  append_metric(out, "prompt_eval_duration", s.prompt_eval_duration);
  append_metric(out, "eval_count", s.eval_count);
  append_metric(out, "eval_duration", s.eval_duration);
}

void append_done(std::string& out, std::string_view reason) {
  out += ",\"done\":true";
  if (!reason.empty()) {
    out += ",\"done_reason\":\"";
    out += reason;
    out += '"';
  }
}

void append_vector(std::string& out, const std::vector<float>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += ',';
    append_float(out, v[i]);
  }
  out += ']';
}

void append_base64(std::string& out, const std::vector<float>& v) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(v.size() * 4, '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian float32, like Go's binary.Write
  out += '"';
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) | (two ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += two ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

void append_oai_head(std::string& out, const OaiIds& ids, std::string_view object) {
  out += "{\"id\":";
  gojson::append_string(out, ids.id);
  out += ",\"object\":\"";
  out += object;
  out += "\",\"created\":";
  append_int(out, ids.created);
  out += ",\"model\":";
  gojson::append_string(out, ids.model);
  out += ",\"system_fingerprint\":\"fp_ollama\"";
}

void append_usage(std::string& out, const OaiUsage& u) {
  out += "\"usage\":{\"prompt_tokens\":";
  append_int(out, u.prompt_tokens);
  out += ",\"completion_tokens\":";
  append_int(out, u.completion_tokens);
  out += ",\"total_tokens\":";
  append_int(out, u.prompt_tokens + u.completion_tokens);
  if (u.details) {
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":";
    append_int(out, u.cached_tokens);
    out += '}';
  }
  out += '}';
}

}  // namespace

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += '0';
    return;
  }
  char buf[48];
  const float a = std::fabs(v);
  const auto fmt = (a != 0 && (a < 1e-6f || a >= 1e21f)) ? std::chars_format::scientific : std::chars_format::fixed;
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, fmt);
  out.append(buf, p);
}

void append_generate_chunk(std::string& out, std::string_view model, std::string_view token) {
  out += "{\"model\":";
  gojson::append_string(out, model);
  append_created_at(out);
  out += ",\"response\":";
  gojson::append_string(out, token);
  out += ",\"done\":false}";
}

void append_generate_final(std::string& out, std::string_view model, std::string_view response, const FinalStats& stats,
                           const std::vector<int>* context) {
  out += "{\"model\":";
  gojson::append_string(out, model);
  append_created_at(out);
  out += ",\"response\":";
  gojson::append_string(out, response);
  append_done(out, stats.done_reason);
  if (context != nullptr && !context->empty()) {
    out += ",\"context\":[";
    for (std::size_t i = 0; i < context->size(); ++i) {
      if (i != 0) out += ',';
      append_int(out, (*context)[i]);
    }
    out += ']';
  }
  append_stats(out, stats);
  out += '}';
}

void append_chat_chunk(std::string& out, std::string_view model, std::string_view content) {
  out += "{\"model\":";
  gojson::append_string(out, model);
  append_created_at(out);
  out += ",\"message\":{\"role\":\"assistant\",\"content\":";
  gojson::append_string(out, content);
  out += "},\"done\":false}";
}

void append_chat_final(std::string& out, std::string_view model, std::string_view content, const FinalStats& stats) {
  out += "{\"model\":";
  gojson::append_string(out, model);
  append_created_at(out);
  out += ",\"message\":{\"role\":\"assistant\",\"content\":";
  gojson::append_string(out, content);
  out += '}';
  append_done(out, stats.done_reason);
  append_stats(out, stats);
  out += '}';
}

void append_embed(std::string& out, std::string_view model, const std::vector<std::vector<float>>& vectors,
                  const FinalStats& stats) {
  out += "{\"model\":";
  gojson::append_string(out, model);
  out += ",\"embeddings\":[";
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (i != 0) out += ',';
    append_vector(out, vectors[i]);
  }
  out += ']';
  append_metric(out, "total_duration", stats.total_duration);
  append_metric(out, "load_duration", stats.load_duration);
  append_metric(out, "prompt_eval_count", stats.prompt_eval_count);
  out += '}';
}

void append_embedding(std::string& out, const std::vector<float>& vector) {
  out += "{\"embedding\":";
  append_vector(out, vector);
  out += '}';
}

void append_error(std::string& out, std::string_view message) {
  out += "{\"error\":";
  gojson::append_string(out, message);
  out += '}';
}

void append_oai_chat_chunk(std::string& out, const OaiIds& ids, bool with_role, std::string_view content) {
  append_oai_head(out, ids, "chat.completion.chunk");
  out += ",\"choices\":[{\"index\":0,\"delta\":{";
  if (with_role) out += "\"role\":\"assistant\",";
  out += "\"content\":";
  gojson::append_string(out, content);
  out += "},\"finish_reason\":null}]}";
}

void append_oai_chat_finish(std::string& out, const OaiIds& ids, std::string_view finish_reason) {
  append_oai_head(out, ids, "chat.completion.chunk");
  out += ",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"";
  out += finish_reason;
  out += "\"}]}";
}

void append_oai_usage_chunk(std::string& out, const OaiIds& ids, std::string_view object, const OaiUsage& usage) {
  append_oai_head(out, ids, object);
  out += ",\"choices\":[],";
  append_usage(out, usage);
  out += '}';
}

void append_oai_chat_completion(std::string& out, const OaiIds& ids, std::string_view content,
                                std::string_view finish_reason, const OaiUsage& usage) {
  append_oai_head(out, ids, "chat.completion");
  out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  gojson::append_string(out, content);
  out += "},\"finish_reason\":\"";
  out += finish_reason;
  out += "\"}],";
  append_usage(out, usage);
  out += "}\n";
}

void append_oai_completion_chunk(std::string& out, const OaiIds& ids, std::string_view text,
                                 std::string_view finish_reason, bool zero_usage) {
  append_oai_head(out, ids, "text_completion");
  out += ",\"choices\":[{\"text\":";
  gojson::append_string(out, text);
  out += ",\"index\":0,\"logprobs\":null,\"finish_reason\":";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    out += '"';
    out += finish_reason;
    out += '"';
  }
  out += "}]";
  if (zero_usage) {
    out += ',';
    append_usage(out, {});
  }
  out += '}';
}

void append_oai_completion(std::string& out, const OaiIds& ids, std::string_view text, std::string_view finish_reason,
                           const OaiUsage& usage) {
  append_oai_head(out, ids, "text_completion");
  out += ",\"choices\":[{\"text\":";
  gojson::append_string(out, text);
  out += ",\"index\":0,\"logprobs\":null,\"finish_reason\":\"";
  out += finish_reason;
  out += "\"}],";
  append_usage(out, usage);
  out += "}\n";
}

void append_oai_embeddings(std::string& out, std::string_view model, const std::vector<std::vector<float>>& vectors,
                           bool base64, std::int64_t prompt_tokens) {
  out += "{\"object\":\"list\",\"data\":[";
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (i != 0) out += ',';
    out += "{\"object\":\"embedding\",\"embedding\":";
    if (base64) append_base64(out, vectors[i]);
    else append_vector(out, vectors[i]);
    out += ",\"index\":";
    append_int(out, static_cast<std::int64_t>(i));
    out += '}';
  }
  out += "],\"model\":";
  gojson::append_string(out, model);
  out += ",\"usage\":{\"prompt_tokens\":";
  append_int(out, prompt_tokens);
  out += ",\"total_tokens\":";
  append_int(out, prompt_tokens);
  out += "}}\n";
}

void append_oai_error(std::string& out, int status, std::string_view message) {
  const std::string_view type = status == 400 ? "invalid_request_error" : status == 404 ? "not_found_error" : "api_error";
  out += "{\"error\":{\"message\":";
  gojson::append_string(out, message);
  out += ",\"type\":\"";
  out += type;
  out += "\",\"param\":null,\"code\":null}}";
}

}  // namespace corral::sim
