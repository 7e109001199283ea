#include "support/sim.hpp"

#include <algorithm>
#include <utility>

#include "support/http_client.hpp"

namespace corral::testing {

Server start_sim(const std::vector<std::string>& models, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"sim", "--listen", "127.0.0.1:0"};
  for (const auto& [flag, value] : {std::pair{"--load-gbps", "1000"}, std::pair{"--tokens-per-second", "200"}}) {
    if (std::find(extra.begin(), extra.end(), flag) != extra.end()) continue;
    args.emplace_back(flag);
    args.emplace_back(value);
  }
  for (const auto& m : models) {
    args.emplace_back("--model");
    args.push_back(m);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return Server(std::move(args));
}

boost::json::object sim_stats(const std::string& address) {
  return boost::json::parse(http_get(address, "/sim/stats").body).as_object();
}

std::int64_t stat(const std::string& address, const char* key) { return sim_stats(address).at(key).as_int64(); }

bool lists_model(const Server& sim, const std::string& model) {
  const boost::json::value tags = boost::json::parse(http_get(sim.address, "/api/tags").body);
  for (const auto& m : tags.at("models").as_array()) {
    if (m.at("name").as_string() == model) return true;
  }
  return false;
}

void preload(const Server& sim, const std::string& model) {
  (void)http_post(sim.address, "/api/generate", R"({"model":")" + model + R"("})");
}

std::string generate_body(const std::string& model, int tokens, bool stream) {
  return R"({"model":")" + model + R"(","prompt":"hello","stream":)" + (stream ? "true" : "false") +
         R"(,"options":{"num_predict":)" + std::to_string(tokens) + "}}";
}

std::vector<boost::json::object> ndjson_lines(const std::string& body) {
  std::vector<boost::json::object> out;
  std::size_t start = 0;
  for (auto nl = body.find('\n'); nl != std::string::npos; nl = body.find('\n', start)) {
    if (nl > start) out.push_back(boost::json::parse(body.substr(start, nl - start)).as_object());
    start = nl + 1;
  }
  return out;
}

}  // namespace corral::testing
