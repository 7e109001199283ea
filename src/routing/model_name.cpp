// Ollama's ParseNameBare + Merge + DisplayShortest (types/model/name.go), reduced to what routing needs:
// split host / namespace / model / tag, fill defaults, validate each part, print the shortest form, fold
// case. TODO(gateway): delegate to common::ModelName once src/common/model_name.hpp lands, so the gateway
// and the simulator cannot disagree.
#include "routing/model_name.hpp"

#include <algorithm>
#include <cctype>

namespace corral::routing {
namespace {

constexpr std::string_view kDefaultHost = "registry.ollama.ai";
constexpr std::string_view kDefaultNamespace = "library";
constexpr std::string_view kDefaultTag = "latest";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

enum class Part { kHost, kNamespace, kModel, kTag };

// Ollama's isValidPart: 1..80 characters (host 1..350); first [A-Za-z0-9_]; then also '-' and '.', except
// '.' in a namespace; ':' only in a host.
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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string> model_key(std::string_view name) {
  std::string_view s = trim(name);
  if (s.empty()) return std::nullopt;
  // A scheme prefix only selects the protocol for pulls; it is not part of the identity.
  if (const auto scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);

  std::string_view tag = kDefaultTag;
  const auto colon = s.rfind(':');
  const auto slash = s.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = s.substr(colon + 1);
    s = s.substr(0, colon);
  }
  std::string_view model = s;
  std::string_view ns = kDefaultNamespace;
  std::string_view host = kDefaultHost;
  if (const auto m = s.rfind('/'); m != std::string_view::npos) {
    model = s.substr(m + 1);
    const std::string_view rest = s.substr(0, m);
    const auto n = rest.rfind('/');
    ns = n == std::string_view::npos ? rest : rest.substr(n + 1);
    if (n != std::string_view::npos) host = rest.substr(0, n);
  }
  if (!valid_part(Part::kHost, host) || !valid_part(Part::kNamespace, ns) || !valid_part(Part::kModel, model) ||
      !valid_part(Part::kTag, tag)) {
    return std::nullopt;
  }

  std::string key;
  key.reserve(host.size() + ns.size() + model.size() + tag.size() + 3);
  const bool default_host = iequals(host, kDefaultHost);
  if (!default_host) key.append(host).push_back('/');
  if (!default_host || !iequals(ns, kDefaultNamespace)) key.append(ns).push_back('/');
  key.append(model).push_back(':');
  key.append(tag);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  return key;
}

std::string_view strip_tag(std::string_view key) {
  const auto colon = key.rfind(':');
  const auto slash = key.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) return key;
  return key.substr(0, colon);
}

}  // namespace corral::routing
