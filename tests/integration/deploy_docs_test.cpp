// docs/observability.md and the shipped status page agree with the code: the metric table is the
// list in corral_metrics.cpp (names, types, exporter, labels), and the page the binary serves is
// the file the browser test loads.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "admin/status_page.hpp"
#include "metrics/metric_def.hpp"
#include "support/text_file.hpp"

namespace {

namespace fs = std::filesystem;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" `");
  const auto e = s.find_last_not_of(" `");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::size_t start = 1;
  for (auto bar = row.find('|', start); bar != std::string::npos; bar = row.find('|', start)) {
    out.push_back(trim(row.substr(start, bar - start)));
    start = bar + 1;
  }
  return out;
}

TEST(DeployDocs, MetricTableMatchesTheCode) {
  const auto doc = corral::testing::read_text_file(fs::path(CORRAL_SOURCE_DIR) / "docs" / "observability.md");
  ASSERT_FALSE(doc.empty());
  std::map<std::string, std::string> documented;  // name -> "type exporter labels"
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto c = cells(line);
    if (c.size() < 5 || (c[1] != "counter" && c[1] != "gauge" && c[1] != "histogram")) continue;
    std::string labels = c[3] == "–" ? "" : c[3];
    std::erase(labels, '`');
    std::erase(labels, ' ');
    EXPECT_TRUE(documented.emplace(c[0], c[1] + " " + c[2] + " " + labels).second) << "listed twice: " << c[0];
  }
  std::map<std::string, std::string> code;
  for (const auto& d : corral::metrics::all_metric_defs()) {
    code.emplace(std::string(d.name), std::string(corral::metrics::type_name(d.type)) + " " +
                                          (d.exporter == corral::metrics::Exporter::gateway ? "gateway" : "agent") + " " +
                                          std::string(d.labels));
  }
  EXPECT_EQ(documented, code) << "docs/observability.md's metric table and src/metrics/corral_metrics.cpp differ";
}

TEST(DeployDocs, ServedStatusPageIsTheTestedFile) {
  const auto page = corral::admin::status_page_html();
  EXPECT_EQ(page.substr(0, 15), "<!doctype html>");
  for (const char* hook : {"/corral/api/status", "id=\"workers\"", "id=\"pools\"", "id=\"errors\"", "id=\"conn\"",
                           "\"data-worker\"", "\"data-model\""}) {
    EXPECT_NE(page.find(hook), std::string_view::npos) << hook;
  }
  const auto inc = corral::testing::read_text_file(fs::path(CORRAL_SOURCE_DIR) / "src" / "admin" / "status_page.html.inc");
  const auto start = inc.find("R\"HTML(") + 7;
  const auto end = inc.rfind(")HTML\"");
  EXPECT_EQ(std::string(page), inc.substr(start, end - start));
}

}  // namespace
