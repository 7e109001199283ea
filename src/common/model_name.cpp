// Parsing follows ParseNameBare (split from the right: tag after the last ':' that follows the last '/',
// then model, namespace, host) and isValidPart; Ollama then fills the defaults with Merge. Matching in
// Ollama is case-insensitive, so the key folds case while display keeps it.
#include "common/model_name.hpp"

#include "common/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace corral::common {
namespace {

constexpr std::string_view kDefaultHost = "registry.ollama.ai";
constexpr std::string_view kDefaultNamespace = "library";
constexpr std::string_view kDefaultTag = "latest";

enum class Part { kHost, kNamespace, kModel, kTag };

struct Parts {
  std::string_view host = kDefaultHost;
  std::string_view ns = kDefaultNamespace;
  std::string_view model;
  std::string_view tag = kDefaultTag;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// isValidPart: 1..80 characters (host 1..350); first [A-Za-z0-9_]; later also '-' and '.', except '.'
// in a namespace; ':' only in a host (a port).
bool valid_part(Part kind, std::string_view s) {
  const std::size_t max = kind == Part::kHost ? 350 : 80;
  if (s.empty() || s.size() > max) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isalnum(c) || c == '_') continue;
    if (i == 0) return false;
    if (c == '-') continue;
    if (c == '.' && kind != Part::kNamespace) continue;
    if (c == ':' && kind == Part::kHost) continue;
    return false;
  }
  return true;
}

bool split(std::string_view text, Parts& p, ModelNameError* error) {
  std::string_view s = trim(text);
  auto fail = [&](ModelNameError e) {
    if (error != nullptr) *error = e;
    return false;
  };
  if (s.empty()) return fail(ModelNameError::kEmpty);
  // A scheme only selects the protocol for pulls; it is not part of the identity.
  if (const auto scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  const auto colon = s.rfind(':');
  const auto slash = s.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    p.tag = s.substr(colon + 1);  // "m:" leaves an empty tag, which is invalid (Ollama's !MISSING!)
    s = s.substr(0, colon);
  }
  p.model = s;
  if (const auto m = s.rfind('/'); m != std::string_view::npos) {
    p.model = s.substr(m + 1);
    const std::string_view rest = s.substr(0, m);
    const auto n = rest.rfind('/');
    p.ns = n == std::string_view::npos ? rest : rest.substr(n + 1);
    if (n != std::string_view::npos) p.host = rest.substr(0, n);
  }
  if (!valid_part(Part::kHost, p.host) || !valid_part(Part::kNamespace, p.ns) ||
      !valid_part(Part::kModel, p.model) || !valid_part(Part::kTag, p.tag)) {
    return fail(ModelNameError::kInvalid);
  }
  return true;
}

void append_display(std::string& out, const Parts& p) {
  const bool default_host = ascii_iequals(p.host, kDefaultHost);
  if (!default_host) out.append(p.host).push_back('/');
  if (!default_host || !ascii_iequals(p.ns, kDefaultNamespace)) out.append(p.ns).push_back('/');
  out.append(p.model).push_back(':');
  out.append(p.tag);
}

void fold(std::string& s, std::size_t from) {
  std::transform(s.begin() + static_cast<std::ptrdiff_t>(from), s.end(), s.begin() + static_cast<std::ptrdiff_t>(from),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

}  // namespace

std::optional<ModelName> ModelName::parse(std::string_view text, ModelNameError* error) {
  Parts p;
  if (!split(text, p, error)) return std::nullopt;
  ModelName n;
  n.host_ = p.host;
  n.namespace_ = p.ns;
  n.model_ = p.model;
  n.tag_ = p.tag;
  return n;
}

std::string ModelName::key() const {
  std::string k;
  k.reserve(host_.size() + namespace_.size() + model_.size() + tag_.size() + 3);
  k.append(host_).push_back('/');
  k.append(namespace_).push_back('/');
  k.append(model_).push_back(':');
  k.append(tag_);
  fold(k, 0);
  return k;
}

std::string ModelName::display() const {
  std::string out;
  append_display(out, Parts{host_, namespace_, model_, tag_});
  return out;
}

std::string ModelName::short_key() const {
  std::string out = display();
  fold(out, 0);
  return out;
}

bool append_short_key(std::string& out, std::string_view text, ModelNameError* error) {
  Parts p;
  if (!split(text, p, error)) return false;
  const std::size_t from = out.size();
  append_display(out, p);
  fold(out, from);
  return true;
}

}  // namespace corral::common
