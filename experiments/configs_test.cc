// Parses and validates every table config in the tree (experiments/<paper>/<table>.<scale>.pbtxt)
// with its table's own validator, and checks that every registered table has a config at each
// scale.
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "common/results/atomic_file.h"
#include "common/results/registry.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

namespace fs = std::filesystem;

TEST(ConfigsTest, EveryConfigParsesAndValidates) {
  const std::regex name(R"(([a-z0-9_]+)\.(smoke|cpu|paper)\.pbtxt)");
  int checked = 0;
  std::set<std::string> seen;
  for (const auto& paper_dir : fs::directory_iterator("experiments")) {
    if (!paper_dir.is_directory()) continue;
    const std::string paper = paper_dir.path().filename().string();
    for (const auto& file : fs::directory_iterator(paper_dir.path())) {
      if (file.path().extension() != ".pbtxt") continue;
      const std::string path = file.path().string();
      std::smatch match;
      const std::string filename = file.path().filename().string();
      ASSERT_TRUE(std::regex_match(filename, match, name)) << path << ": name it <table>.<scale>.pbtxt";
      const TableEntry* entry = TableRegistry::Find(paper, match[1]);
      ASSERT_NE(entry, nullptr) << path << ": no table " << paper << "/" << match[1] << " is registered";
      const absl::Status status = entry->validate(*ReadFile(path), path);
      EXPECT_TRUE(status.ok()) << status.message();
      seen.insert(paper + "/" + match[1].str() + "." + match[2].str());
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
  for (const TableEntry& entry : TableRegistry::All()) {
    for (const char* scale : {"smoke", "cpu", "paper"}) {
      EXPECT_TRUE(seen.count(entry.paper + "/" + entry.table + "." + scale))
          << "table " << entry.paper << "/" << entry.table << " has no " << scale << "-scale config";
    }
  }
}

}  // namespace
}  // namespace repro
