#include "common/results/registry.h"

#include <algorithm>
#include <map>
#include <utility>

#include "common/port/logging.h"

namespace repro {
namespace {

std::map<std::pair<std::string, std::string>, TableEntry>& Entries() {
  static auto* entries = new std::map<std::pair<std::string, std::string>, TableEntry>();
  return *entries;
}

}  // namespace

void TableRegistry::Register(TableEntry entry) {
  auto key = std::make_pair(entry.paper, entry.table);
  CHECK(Entries().count(key) == 0) << "table " << entry.paper << "/" << entry.table
                                   << " registered twice";
  Entries().emplace(std::move(key), std::move(entry));
}

std::vector<TableEntry> TableRegistry::All() {
  std::vector<TableEntry> all;
  for (const auto& [key, entry] : Entries()) all.push_back(entry);
  return all;
}

const TableEntry* TableRegistry::Find(const std::string& paper, const std::string& table) {
  auto it = Entries().find({paper, table});
  return it == Entries().end() ? nullptr : &it->second;
}

}  // namespace repro
