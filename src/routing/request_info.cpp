// One pass over the top-level object with simdjson On-Demand. Only the keys routing needs are looked at;
// every other value is skipped by the structural index (stage 1 already found every string and bracket at
// several GB/s), so a 1 MiB base64 image costs the scan, never a decode. Key matching follows Go's
// encoding/json, which binds keys case-insensitively (bytes.EqualFold): "Model" and "MODEL" are `model`
// for Ollama too, so they count as duplicates here; otherwise a body could route by one spelling while the
// backend reads another.
#include "routing/request_info.hpp"

#include <array>
#include <cctype>
#include <optional>

#include <simdjson.h>

#include "common/units.hpp"
#include "common/hash.hpp"
#include "routing/model_name.hpp"

namespace corral::routing {

const std::size_t kBodyPadding = simdjson::SIMDJSON_PADDING;

namespace {

namespace od = simdjson::ondemand;

// Past this the per-thread parser's buffers (about 5 bytes per body byte) are dropped after use.
constexpr std::size_t kKeepParserCapacity = 4 * 1024 * 1024;

enum class Key { kOther, kModel, kName, kSource, kDestination, kStream, kKeepAlive, kPrompt, kMessages, kInput, kOptions };

// Folds a key the way Go's bytes.EqualFold compares it, for the handful of ASCII names we look for: ASCII
// letters to lower case, U+017F (long s) to 's', U+212A (Kelvin sign) to 'k'; anything else cannot match.
Key classify(std::string_view key) {
  std::array<char, 16> buf{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < key.size();) {
    const auto c = static_cast<unsigned char>(key[i]);
    char folded = 0;
    if (c < 0x80) {
      folded = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);  // not std::tolower: a call per byte
      i += 1;
    } else if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
      folded = 's';
      i += 2;
    } else if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
               static_cast<unsigned char>(key[i + 2]) == 0xAA) {
      folded = 'k';
      i += 3;
    } else {
      return Key::kOther;
    }
    if (n == buf.size()) return Key::kOther;
    buf[n++] = folded;
  }
  const std::string_view f(buf.data(), n);
  if (f == "model") return Key::kModel;
  if (f == "name") return Key::kName;
  if (f == "source") return Key::kSource;
  if (f == "destination") return Key::kDestination;
  if (f == "stream") return Key::kStream;
  if (f == "keep_alive") return Key::kKeepAlive;
  if (f == "prompt") return Key::kPrompt;
  if (f == "messages") return Key::kMessages;
  if (f == "input") return Key::kInput;
  if (f == "options") return Key::kOptions;
  return Key::kOther;
}

std::string_view type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "bool";
    case od::json_type::null: return "null";
  }
  return "value";
}

std::string_view key_name(Key k) {
  switch (k) {
    case Key::kModel: return "model";
    case Key::kName: return "name";
    case Key::kSource: return "source";
    case Key::kDestination: return "destination";
    case Key::kStream: return "stream";
    default: return "field";
  }
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool all_whitespace(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

// Order-independent digest of the options that make Ollama reload a runner (sched.go needsReload).
std::optional<std::uint64_t> runner_options_digest(od::value& options) {
  static constexpr std::array<std::string_view, 5> kReloadOptions{"num_ctx", "num_batch", "num_gpu", "main_gpu",
                                                                  "use_mmap"};
  od::object obj;
  if (options.get_object().get(obj)) return std::nullopt;
  std::uint64_t digest = 0;
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return std::nullopt;
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    for (std::string_view wanted : kReloadOptions) {
      if (key != wanted) continue;
      const std::string_view token = field.value().raw_json_token();
      digest += common::mix64(common::hash_key(key) ^ common::hash_key(trim_right(token)));
    }
  }
  return digest;
}

class Extractor {
 public:
  Extractor(const Route& route, RequestInfo& out) : route_(route), out_(out) {}

  // Returns false (with out_.error set) on the first problem.
  bool field(od::field& field) {
    const Key key = key_of(field);
    if (key == Key::kOther) return true;
    od::value value = field.value();
    od::json_type type;
    if (value.type().get(type)) return bad_json("invalid JSON in request body");
    switch (key) {
      case Key::kModel:
        return model_string(key, value, type, model_, route_.model_field != ModelField::kSourceDestination);
      case Key::kName:
        return model_string(key, value, type, name_, route_.model_field == ModelField::kModelOrName);
      case Key::kSource:
        return model_string(key, value, type, model_, route_.model_field == ModelField::kSourceDestination);
      case Key::kDestination:
        return model_string(key, value, type, destination_, route_.model_field == ModelField::kSourceDestination);
      case Key::kStream:
        return stream(value, type);
      case Key::kKeepAlive:
        keep_alive(value, type);
        return true;
      case Key::kPrompt:
        if (route_.endpoint == Endpoint::kGenerate || route_.endpoint == Endpoint::kEmbeddings) {
          saw_input_ = true;
          empty_input_ = type == od::json_type::null || empty_string(value, type);
        }
        return true;
      case Key::kMessages:
        if (route_.endpoint == Endpoint::kChat) {
          saw_input_ = true;
          empty_input_ = type == od::json_type::null || empty_array(value, type);
        }
        return true;
      case Key::kInput:
        if (route_.endpoint == Endpoint::kEmbed) {
          saw_input_ = true;
          empty_input_ = type == od::json_type::null || empty_string(value, type) || empty_array(value, type);
        }
        return true;
      case Key::kOptions:
        if (type == od::json_type::object) out_.runner_options_digest = runner_options_digest(value).value_or(0);
        return true;
      case Key::kOther:
        return true;
    }
    return true;
  }

  // After the object: resolve the model, apply defaults.
  void finish() {
    if (!saw_input_) empty_input_ = true;
    out_.empty_input = empty_input_ && (route_.endpoint == Endpoint::kGenerate || route_.endpoint == Endpoint::kChat ||
                                        route_.endpoint == Endpoint::kEmbed || route_.endpoint == Endpoint::kEmbeddings);
    const bool copy = route_.model_field == ModelField::kSourceDestination;
    std::string chosen = !model_.empty() || route_.model_field != ModelField::kModelOrName ? model_ : name_;
    auto key = model_key(chosen);
    out_.model = std::move(chosen);
    out_.destination = destination_;
    if (!key) {
      const bool blank = model_key_is_blank(out_.model);
      if (copy) {
        set_error(RequestError::kInvalidModelName, "source \"" + out_.model + "\" is invalid");
      } else if (blank) {
        set_error(RequestError::kMissingModel, "model is required");
      } else {
        set_error(RequestError::kInvalidModelName, "invalid model name");
      }
      return;
    }
    if (copy && !model_key(destination_)) {
      set_error(RequestError::kInvalidModelName, "destination \"" + destination_ + "\" is invalid");
      return;
    }
    out_.model_key = std::move(*key);
  }

  bool bad_json(std::string message) {
    set_error(RequestError::kBadJson, std::move(message));
    return false;
  }

 private:
  static bool model_key_is_blank(std::string_view s) { return all_whitespace(s); }

  static Key key_of(od::field& field) {
    const char* raw = field.key().raw();  // just after the opening quote; stage 1 validated the string
    std::size_t len = 0;
    bool escaped = false;
    while (raw[len] != '"') {
      if (raw[len] == '\\') {
        escaped = true;
        ++len;
      }
      ++len;
    }
    if (len > 48) return Key::kOther;  // longer than any folded name we look for
    if (!escaped) return classify(std::string_view(raw, len));
    std::string_view unescaped;
    if (field.unescaped_key().get(unescaped)) return Key::kOther;
    return classify(unescaped);
  }

  bool model_string(Key key, od::value& value, od::json_type type, std::string& into, bool relevant) {
    if (!relevant) return true;
    if (++seen_[static_cast<std::size_t>(key)] > 1) {
      set_error(RequestError::kDuplicateModel,
                "duplicate \"" + std::string(key_name(key)) + "\" key in request body");
      return false;
    }
    if (type == od::json_type::null) return true;  // Go leaves the field empty
    if (type != od::json_type::string) {
      set_error(RequestError::kModelNotString, "json: cannot unmarshal " + std::string(type_name(type)) +
                                                   " into Go struct field ." + std::string(key_name(key)) +
                                                   " of type string");
      return false;
    }
    std::string_view s;
    if (value.get_string().get(s)) return bad_json("invalid JSON string in request body");
    into.assign(s);
    return true;
  }

  bool stream(od::value& value, od::json_type type) {
    if (type == od::json_type::null) return true;
    bool b = false;
    if (type != od::json_type::boolean || value.get_bool().get(b)) {
      return bad_json("json: cannot unmarshal " + std::string(type_name(type)) +
                      " into Go struct field .stream of type bool");
    }
    out_.stream = b;
    return true;
  }

  void keep_alive(od::value& value, od::json_type type) {
    if (type == od::json_type::null) return;
    out_.has_keep_alive = true;
    if (type == od::json_type::number) {
      double d = 1;
      out_.keep_alive_zero = !value.get_double().get(d) && d == 0;
    } else if (type == od::json_type::string) {
      std::string_view s;
      if (!value.get_string().get(s)) {
        const auto parsed = units::parse_go_duration(s);
        out_.keep_alive_zero = parsed && parsed->count() == 0;
      }
    }
  }

  static bool empty_string(od::value& value, od::json_type type) {
    if (type != od::json_type::string) return false;
    const std::string_view token = value.raw_json_token();  // O(1): up to the next structural character
    return token.size() >= 2 && token[0] == '"' && token[1] == '"';
  }

  static bool empty_array(od::value& value, od::json_type type) {
    if (type != od::json_type::array) return false;
    od::array arr;
    bool empty = false;
    return !value.get_array().get(arr) && !arr.is_empty().get(empty) && empty;
  }

  void set_error(RequestError error, std::string message) {
    out_.error = error;
    out_.error_message = std::move(message);
  }

  const Route& route_;
  RequestInfo& out_;
  std::string model_;
  std::string name_;
  std::string destination_;
  std::array<int, 16> seen_{};
  bool saw_input_ = false;
  bool empty_input_ = false;
};

std::string_view go_request_type(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kGenerate: return "api.GenerateRequest";
    case Endpoint::kChat: return "api.ChatRequest";
    case Endpoint::kEmbed: return "api.EmbedRequest";
    case Endpoint::kEmbeddings: return "api.EmbeddingRequest";
    case Endpoint::kShow: return "api.ShowRequest";
    case Endpoint::kPull: return "api.PullRequest";
    case Endpoint::kPush: return "api.PushRequest";
    case Endpoint::kCreate: return "api.CreateRequest";
    case Endpoint::kDelete: return "api.DeleteRequest";
    case Endpoint::kCopy: return "api.CopyRequest";
    default: return "the request";
  }
}

void parse(const Route& route, std::string_view body, RequestInfo& out) {
  thread_local od::parser parser;
  Extractor extractor(route, out);
  {
    od::document doc;
    const simdjson::padded_string_view input(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING);
    if (auto error = parser.iterate(input).get(doc)) {
      extractor.bad_json(std::string("invalid JSON in request body: ") + simdjson::error_message(error));
    } else if (od::json_type type; doc.type().get(type)) {
      extractor.bad_json("invalid JSON in request body");
    } else if (type != od::json_type::object) {
      extractor.bad_json("json: cannot unmarshal " + std::string(type_name(type)) + " into Go value of type " +
                         std::string(go_request_type(route.endpoint)));
    } else {
      od::object obj;
      bool ok = true;
      if (auto error = doc.get_object().get(obj)) {
        ok = extractor.bad_json(std::string("invalid JSON in request body: ") + simdjson::error_message(error));
      } else {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
          od::field field;
          if (auto field_error = (*it).get(field)) {
            ok = extractor.bad_json(std::string("invalid JSON in request body: ") + simdjson::error_message(field_error));
            break;
          }
          if (!(ok = extractor.field(field))) break;
        }
      }
      // Go's decoder would read only the first value; a second one is refused rather than left for the backend.
      const char* rest = nullptr;
      if (ok && doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
        ok = extractor.bad_json("invalid JSON in request body: unexpected content after the object");
      }
      if (ok) extractor.finish();
    }
  }
  if (body.size() > kKeepParserCapacity) parser = od::parser{};
}

}  // namespace

RequestInfo extract_request_info(const Route& route, std::string_view body) {
  RequestInfo info;
  info.stream = route.stream_default;
  if (!route.needs_body_model()) return info;
  if (all_whitespace(body)) {
    info.error = RequestError::kEmptyBody;
    info.error_message = "missing request body";
    return info;
  }
  parse(route, body, info);
  if (!info.ok()) info.stream = route.stream_default;
  return info;
}

RequestInfo extract_request_info(const Route& route, std::string& body) {
  return extract_request_info(route, pad_body(body));
}

RequestInfo read_request_facts(const Route& route, std::string& body) {
  if (route.needs_body_model()) return extract_request_info(route, body);
  RequestInfo info;
  info.stream = route.stream_default;
  if (route.kind == RouteKind::kModelPath) {
    if (auto name = decode_path_segment(route.path_model)) {
      if (auto key = model_key(*name)) info.model_key = std::move(*key);
      info.model = std::move(*name);
    }
  }
  return info;
}

std::string_view pad_body(std::string& body) {
  if (body.capacity() < body.size() + kBodyPadding) body.reserve(body.size() + kBodyPadding);
  return body;
}

std::string_view to_string(RequestError error) {
  switch (error) {
    case RequestError::kNone: return "none";
    case RequestError::kEmptyBody: return "missing_request_body";
    case RequestError::kBadJson: return "bad_json";
    case RequestError::kMissingModel: return "missing_model";
    case RequestError::kDuplicateModel: return "duplicate_model";
    case RequestError::kInvalidModelName: return "invalid_model_name";
    case RequestError::kModelNotString: return "model_not_string";
  }
  return "unknown";
}

}  // namespace corral::routing
