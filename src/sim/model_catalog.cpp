#include "sim/model_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/model_name.hpp"
#include "sim/text_generator.hpp"
#include "common/ascii.hpp"

namespace corral::sim {
namespace {

// "8b" -> 8e9, "0.5b" -> 5e8, "270m" -> 2.7e8 anywhere in the tag ("8b-instruct-q4_0"); 0 when absent.
double parameters_in(std::string_view tag) {
  const std::string t = common::ascii_lower(tag);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(t[i])) || (i > 0 && std::isalnum(static_cast<unsigned char>(t[i - 1])))) continue;
    std::size_t j = i;
    while (j < t.size() && (std::isdigit(static_cast<unsigned char>(t[j])) || t[j] == '.')) ++j;
    if (j < t.size() && (t[j] == 'b' || t[j] == 'm') && (j + 1 == t.size() || !std::isalpha(static_cast<unsigned char>(t[j + 1])))) {
      const double n = std::strtod(t.substr(i, j - i).c_str(), nullptr);
      return n * (t[j] == 'b' ? 1e9 : 1e6);
    }
  }
  return 0;
}

std::string parameter_size_text(double params, std::uint64_t size) {
  if (params <= 0) params = static_cast<double>(size) / 0.6;  // ~4.8 bits per weight
  char buf[32];
  if (params >= 1e9) std::snprintf(buf, sizeof buf, "%.1fB", params / 1e9);
  else std::snprintf(buf, sizeof buf, "%.0fM", params / 1e6);
  std::string s(buf);
  if (const auto dot = s.find(".0B"); dot != std::string::npos) s.erase(dot, 2);
  return s;
}

std::string digest_of(std::string_view name) {
  std::string hex;
  std::uint64_t h = fnv1a(name);
  char buf[17];
  for (int i = 0; i < 4; ++i) {
    h = fnv1a(name, h + static_cast<std::uint64_t>(i));
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    hex += buf;
  }
  return hex;
}

}  // namespace

bool ModelCatalog::add(std::string_view display_name, std::uint64_t size, std::chrono::system_clock::time_point modified_at) {
  auto name = common::ModelName::parse(display_name);
  if (!name) return false;
  CatalogModel m;
  m.key = name->short_key();
  m.display = name->display();
  m.size = size;
  m.digest = digest_of(m.key);
  m.modified_at = modified_at;
  const std::string model = common::ascii_lower(name->model());
  m.embedding = model.find("embed") != std::string::npos || model.find("minilm") != std::string::npos;
  std::string family = model.substr(0, model.find_first_of("-_."));
  while (!family.empty() && (std::isdigit(static_cast<unsigned char>(family.back())))) family.pop_back();
  m.family = m.embedding ? "bert" : (family.empty() ? "llama" : family);
  m.parameter_size = parameter_size_text(parameters_in(name->tag()), size);
  models_.insert_or_assign(m.key, std::move(m));
  return true;
}

const CatalogModel* ModelCatalog::find(std::string_view key) const {
  auto it = models_.find(key);
  return it == models_.end() ? nullptr : &it->second;
}

bool ModelCatalog::remove(std::string_view key) {
  auto it = models_.find(key);
  if (it == models_.end()) return false;
  models_.erase(it);
  return true;
}

std::vector<const CatalogModel*> ModelCatalog::list() const {
  std::vector<const CatalogModel*> out;
  out.reserve(models_.size());
  for (const auto& [k, m] : models_) out.push_back(&m);
  std::stable_sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->modified_at > b->modified_at; });
  return out;
}

std::uint64_t ModelCatalog::guess_size(std::string_view display_name) {
  auto name = common::ModelName::parse(display_name);
  const double params = name ? parameters_in(name->tag()) : 0;
  if (params <= 0) return 2'000'000'000;
  return static_cast<std::uint64_t>(params * 0.6);
}

}  // namespace corral::sim
