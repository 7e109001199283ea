#include "sim/request_body.hpp"

#include "common/units.hpp"
#include "sim/go_json_scan.hpp"
#include "sim/prompt_cache.hpp"
#include "sim/text_generator.hpp"
#include "sim/dom_access.hpp"

namespace corral::sim {
namespace {

namespace dom = simdjson::dom;

using std::chrono::nanoseconds;

std::string_view kind_of(dom::element v) {
  switch (v.type()) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "bool";
    case dom::element_type::NULL_VALUE: return "null";
    default: return "number";
  }
}

BodyError type_error(dom::element v, std::string_view field, std::string_view go_type) {
  return {400, "json: cannot unmarshal " + std::string(kind_of(v)) + " into Go struct field " + std::string(field) +
                   " of type " + std::string(go_type)};
}

// Scans with Go's rules, then parses exactly the first value. `root` is an object on success; a JSON
// null body decodes like {} in Go.
std::optional<BodyError> load(dom::parser& parser, std::string& scratch, std::string_view body, std::string_view go_type,
                              bool openai, dom::element& root, bool& is_null) {
  const GoScan scan = scan_go_json(body);
  if (scan.status == GoScan::Status::kEmpty) return BodyError{400, openai ? "EOF" : "missing request body"};
  if (scan.status == GoScan::Status::kError) return BodyError{400, scan.error};
  scratch.assign(body.data(), scan.end);
  scratch.reserve(scan.end + simdjson::SIMDJSON_PADDING);
  if (parser.parse(scratch.data(), scan.end, false).get(root) != simdjson::SUCCESS) {
    return BodyError{400, "invalid UTF-8 in JSON string"};
  }
  is_null = root.is_null();
  if (!is_null && !root.is_object()) {
    return BodyError{400, "json: cannot unmarshal " + std::string(kind_of(root)) + " into Go value of type " +
                              std::string(go_type)};
  }
  return std::nullopt;
}

bool read_string(dom::element v, std::string_view& out) {
  if (v.is_null()) return true;
  if (!v.is_string()) return false;
  out = v.get_string().value_unsafe();
  return true;
}

void fold_text(InferenceRequest& r, std::string_view text) {
  r.prompt_hash = fnv1a(text, r.prompt_hash);
}

// What a chat body's rendering needs once the whole object is read (a later duplicate key wins).
struct ChatParts {
  dom::element messages;
  dom::element tools;
  bool has_messages = false;
  bool has_tools = false;
};

// Ends one part of the rendered prompt on a token boundary.
void end_prompt_part(std::string& out) {
  while (out.size() % kTokenBytes != 0) out += '\0';
}

void append_prompt_part(std::string& out, std::string_view text) {
  out += text;
  end_prompt_part(out);
}

// One message, already type-checked by read_messages: content, tool_calls, role.
void append_message_part(std::string& out, dom::element m) {
  dom::element content;
  dom::element calls;
  bool has_content = false;
  bool has_calls = false;
  std::string_view role;
  for (auto [k, val] : as_object(m)) {
    if (k == "content") {
      content = val;
      has_content = true;
    } else if (k == "tool_calls") {
      calls = val;
      has_calls = !val.is_null();
    } else if (k == "role" && val.is_string()) {
      role = val.get_string().value_unsafe();
    }
  }
  if (has_content && content.is_string()) {
    out += content.get_string().value_unsafe();
  } else if (has_content && content.is_array()) {
    for (dom::element part : as_array(content)) {
      std::string_view text;
      if (part.is_object() && part["text"].get(text) == simdjson::SUCCESS) out += text;
    }
  }
  if (has_calls) out += simdjson::minify(calls);
  out += role;
  end_prompt_part(out);
}

// The leading system messages, the tools, the other messages (see request_body.hpp).
void render_chat_prompt(const ChatParts& p, std::string& out) {
  bool tools_done = !p.has_tools;
  auto append_tools = [&] {
    append_prompt_part(out, simdjson::minify(p.tools));
    tools_done = true;
  };
  if (p.has_messages) {
    for (dom::element m : as_array(p.messages)) {
      std::string_view role;
      if (!tools_done && (m["role"].get(role) != simdjson::SUCCESS || role != "system")) append_tools();
      append_message_part(out, m);
    }
  }
  if (!tools_done) append_tools();
}

std::optional<BodyError> read_options(dom::element v, std::string_view field, InferenceRequest& r) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_object()) return type_error(v, field, "map[string]interface {}");
  for (auto [k, val] : as_object(v)) {
    if (k == "num_predict" && val.is_number()) r.num_predict = static_cast<std::int64_t>(val.get_double().value_unsafe());
    else if (k == "num_ctx" && val.is_number()) r.num_ctx = static_cast<int>(val.get_double().value_unsafe());
  }
  return std::nullopt;
}

// Native messages: [{role, content, ...}]; OpenAI content may also be an array of {type:"text", text}.
std::optional<BodyError> read_messages(dom::element v, std::string_view st, bool openai, InferenceRequest& r,
                                       bool& any) {
  const std::string field = std::string(st) + ".messages";
  if (v.is_null()) return std::nullopt;
  if (!v.is_array()) return type_error(v, field, openai ? "[]openai.Message" : "[]api.Message");
  for (dom::element m : as_array(v)) {
    if (!m.is_object()) return type_error(m, field, openai ? "openai.Message" : "api.Message");
    any = true;
    for (auto [k, val] : as_object(m)) {
      if (k == "role") {
        std::string_view role;
        if (!read_string(val, role)) return type_error(val, field + ".role", "string");
        fold_text(r, role);
      } else if (k == "content") {
        if (val.is_string()) {
          fold_text(r, val.get_string().value_unsafe());
        } else if (openai && val.is_array()) {
          for (dom::element part : as_array(val)) {
            std::string_view text;
            if (part.is_object() && part["text"].get(text) == simdjson::SUCCESS) fold_text(r, text);
          }
        } else if (!val.is_null()) {
          return type_error(val, field + ".content", "string");
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<BodyError> read_inputs(dom::element v, Api api, InferenceRequest& r) {
  const bool openai = api == Api::kOaiEmbeddings;
  if (v.is_null()) return std::nullopt;
  r.input_present = true;
  if (v.is_string()) {
    const std::string_view s = v.get_string().value_unsafe();
    if (!s.empty() || openai) r.inputs.push_back(s);  // OpenAI turns "" into [""]
    return std::nullopt;
  }
  if (v.is_array()) {
    for (dom::element e : as_array(v)) {
      if (!e.is_string()) return BodyError{400, openai ? "invalid input" : "invalid input type"};
      r.inputs.push_back(e.get_string().value_unsafe());
    }
    if (openai && r.inputs.empty()) return BodyError{400, "invalid input"};
    return std::nullopt;
  }
  return BodyError{400, openai ? "invalid input" : "invalid input type"};
}

std::string_view go_struct(Api api) {
  switch (api) {
    case Api::kGenerate: return "GenerateRequest";
    case Api::kChat: return "ChatRequest";
    case Api::kEmbed: return "EmbedRequest";
    case Api::kEmbeddings: return "EmbeddingRequest";
    case Api::kOaiChat: return "ChatCompletionRequest";
    case Api::kOaiCompletion: return "CompletionRequest";
    case Api::kOaiEmbeddings: return "EmbedRequest";
  }
  return "";
}

std::optional<BodyError> read_field(std::string_view k, dom::element v, Api api, InferenceRequest& r, bool& messages,
                                    ChatParts& parts) {
  const std::string st(go_struct(api));
  const bool openai = is_openai(api);
  auto field = [&](std::string_view name) { return st + "." + std::string(name); };
  if (k == "model") {
    if (!read_string(v, r.model)) return type_error(v, field("model"), "string");
  } else if (k == "prompt" && (api == Api::kGenerate || api == Api::kEmbeddings || api == Api::kOaiCompletion)) {
    if (!read_string(v, r.prompt)) return type_error(v, field("prompt"), openai ? "string" : "string");
  } else if (k == "system" && api == Api::kGenerate) {
    if (!read_string(v, r.system)) return type_error(v, field("system"), "string");
  } else if (k == "messages" && (api == Api::kChat || api == Api::kOaiChat)) {
    r.prompt_hash = fnv1a({});
    parts.messages = v;
    parts.has_messages = v.is_array();
    return read_messages(v, st, openai, r, messages);
  } else if (k == "tools" && (api == Api::kChat || api == Api::kOaiChat)) {
    parts.tools = v;
    parts.has_tools = v.is_array() && as_array(v).size() > 0;
  } else if (k == "input" && (api == Api::kEmbed || api == Api::kOaiEmbeddings)) {
    r.inputs.clear();
    return read_inputs(v, api, r);
  } else if (k == "stream") {
    if (v.is_null()) return std::nullopt;
    if (!v.is_bool()) return type_error(v, field("stream"), "bool");
    r.stream = v.get_bool().value_unsafe();
  } else if (k == "keep_alive" && !openai) {
    if (auto err = parse_keep_alive(v, r.keep_alive)) return BodyError{400, *err};
  } else if (k == "options" && !openai) {
    return read_options(v, field("options"), r);
  } else if (k == "raw" && api == Api::kGenerate) {
    if (!v.is_null() && !v.is_bool()) return type_error(v, field("raw"), "bool");
    r.raw = v.is_bool() && v.get_bool().value_unsafe();
  } else if (k == "max_tokens" && openai) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_int64()) return type_error(v, field("max_tokens"), "int");
    r.num_predict = v.get_int64().value_unsafe();
  } else if (k == "stream_options" && openai) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_object()) return type_error(v, field("stream_options"), "openai.StreamOptions");
    bool usage = false;
    if (v["include_usage"].get(usage) == simdjson::SUCCESS) r.include_usage = usage;
  } else if (k == "dimensions") {
    if (v.is_null()) return std::nullopt;
    if (!v.is_int64()) return type_error(v, field("dimensions"), "int");
    r.dimensions = static_cast<int>(v.get_int64().value_unsafe());
  } else if (k == "encoding_format" && api == Api::kOaiEmbeddings) {
    std::string_view f;
    if (!read_string(v, f)) return type_error(v, field("encoding_format"), "string");
    if (!f.empty() && f != "float" && f != "base64") {
      return BodyError{400, "invalid encoding format: \"" + std::string(f) + "\"; supported: float, base64"};
    }
    r.base64 = f == "base64";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_keep_alive(dom::element v, std::optional<nanoseconds>& out) {
  if (v.is_null()) return std::nullopt;
  if (v.is_number()) {
    const double secs = v.get_double().value_unsafe();
    if (secs < 0) out = nanoseconds(-1);
    else if (secs > 9.2e9) out = nanoseconds(-1);  // past int64 nanoseconds: Go overflows, we say forever
    else out = nanoseconds(static_cast<std::int64_t>(secs * 1e9));
    return std::nullopt;
  }
  if (v.is_string()) {
    const std::string_view s = v.get_string().value_unsafe();
    auto d = units::parse_go_duration(s);
    if (!d) {
      bool numeric = !s.empty();
      for (char c : s) numeric = numeric && ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+');
      return std::string(numeric ? "time: missing unit in duration \"" : "time: invalid duration \"") +
             std::string(s) + "\"";
    }
    out = d->count() < 0 ? nanoseconds(-1) : *d;
    return std::nullopt;
  }
  if (v.is_bool()) return std::string("Unsupported type: 'bool'");
  if (v.is_array()) return std::string("Unsupported type: '[]interface {}'");
  return std::string("Unsupported type: 'map[string]interface {}'");
}

std::optional<BodyError> parse_inference(dom::parser& parser, std::string& scratch, std::string_view body, Api api,
                                         InferenceRequest& out) {
  std::string rendered = std::move(out.rendered);  // keep the buffer from one request to the next
  out = InferenceRequest{};
  rendered.clear();
  out.rendered = std::move(rendered);
  out.prompt_hash = fnv1a({});
  out.stream = !is_openai(api);
  dom::element root;
  bool is_null = false;
  const std::string go_type = (is_openai(api) ? "openai." : "api.") + std::string(go_struct(api));
  if (auto err = load(parser, scratch, body, go_type, is_openai(api), root, is_null)) return err;
  bool messages = false;
  ChatParts parts;
  if (!is_null) {
    for (auto [k, v] : as_object(root)) {
      if (auto err = read_field(k, v, api, out, messages, parts)) return err;
    }
  }
  if (api == Api::kGenerate || api == Api::kOaiCompletion || api == Api::kEmbeddings) {
    out.prompt_hash = fnv1a(out.prompt);
    out.prompt_bytes = out.prompt.size();
    out.empty_prompt = out.prompt.empty();
    if (api != Api::kEmbeddings) {
      if (api == Api::kGenerate && !out.raw && !out.system.empty()) append_prompt_part(out.rendered, out.system);
      append_prompt_part(out.rendered, out.prompt);
      out.prompt_bytes = out.rendered.size();
    }
  } else if (api == Api::kChat || api == Api::kOaiChat) {
    out.empty_prompt = !messages;
    render_chat_prompt(parts, out.rendered);
    out.prompt_bytes = out.rendered.size();
  } else {
    out.empty_prompt = out.inputs.empty();
    for (auto in : out.inputs) {
      out.prompt_bytes += in.size();
    }
  }
  return std::nullopt;
}

std::optional<BodyError> parse_named(dom::parser& parser, std::string& scratch, std::string_view body,
                                     std::string_view go_type, NamedRequest& out) {
  out = NamedRequest{};
  dom::element root;
  bool is_null = false;
  if (auto err = load(parser, scratch, body, go_type, false, root, is_null)) return err;
  if (is_null) return std::nullopt;
  std::string_view name;
  const std::string st(go_type.substr(go_type.find('.') + 1));
  for (auto [k, v] : as_object(root)) {
    std::string_view* target = nullptr;
    if (k == "model") target = &out.model;
    else if (k == "name") target = &name;
    else if (k == "source") target = &out.source;
    else if (k == "destination") target = &out.destination;
    else if (k == "from") target = &out.from;
    if (target != nullptr) {
      if (!read_string(v, *target)) return type_error(v, st + "." + std::string(k), "string");
    } else if (k == "stream" && !v.is_null()) {
      if (!v.is_bool()) return type_error(v, st + ".stream", "bool");
      out.stream = v.get_bool().value_unsafe();
    } else if (k == "verbose" && v.is_bool()) {
      out.verbose = v.get_bool().value_unsafe();
    }
  }
  if (out.model.empty()) out.model = name;  // cmp.Or(model, name)
  return std::nullopt;
}

}  // namespace corral::sim
