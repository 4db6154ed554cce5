// The table registry: each paper's table programs register themselves here (in a library marked
// alwayslink), and //experiments:reproduce runs whichever tables are asked for.
//
//   absl::StatusOr<TableOutput> RunMainTable(const TableRun& run);
//   absl::Status ValidateMainTable(const std::string& text, const std::string& path);
//   REGISTER_TABLE("bt2", "bt2_main", RunMainTable, ValidateMainTable);
//
// The config of table T of paper P at scale S is experiments/P/T.S.pbtxt. The framework reads it,
// hands its text to the table, and fills in the run's metadata (commit, config hash, wall time,
// threads) before writing results/P/T.{md,csv,json}.
#ifndef COMMON_RESULTS_REGISTRY_H_
#define COMMON_RESULTS_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/results/report.pb.h"
#include "common/results/writer.h"

namespace repro {

// What a table program is given.
struct TableRun {
  std::string config_path;  // repository-relative, for messages and the report
  std::string config_text;
  std::string scale;        // "smoke", "cpu" or "paper"
  // Seeds from --seeds; empty means "the seeds of the config".
  std::vector<uint64_t> seeds_override;
  int threads = 0;
  std::string cache_dir;          // trained models, keyed by the hash of what produced them
  std::string fashion_mnist_dir;  // Fashion-MNIST IDX folder
  std::string data_dir;           // root of the paper-scale data sets (ImageNet, CIFAR-100, ...)

  // The seeds to run: seeds_override if given, else `config_seeds`.
  std::vector<uint64_t> Seeds(const std::vector<uint64_t>& config_seeds) const {
    return seeds_override.empty() ? config_seeds : seeds_override;
  }
};

// What a table program returns: the report (rows, reported numbers, claims, plots, notes, and the
// title/mirrors/data/seeds/scale of its config) and the SVG files its plots name.
struct TableOutput {
  TableReport report;
  std::vector<SvgFile> svgs;
};

using TableFn = std::function<absl::StatusOr<TableOutput>(const TableRun&)>;
// Parses and checks a config without running anything (config validation tests, and before runs).
using ValidateFn = std::function<absl::Status(const std::string& text, const std::string& path)>;

struct TableEntry {
  std::string paper;
  std::string table;
  TableFn run;
  ValidateFn validate;
};

class TableRegistry {
 public:
  static void Register(TableEntry entry);
  // Sorted by (paper, table).
  static std::vector<TableEntry> All();
  static const TableEntry* Find(const std::string& paper, const std::string& table);
};

struct TableRegistrar {
  TableRegistrar(const char* paper, const char* table, TableFn run, ValidateFn validate) {
    TableRegistry::Register({paper, table, std::move(run), std::move(validate)});
  }
};

#define REPRO_REGISTRY_CONCAT_INNER_(a, b) a##b
#define REPRO_REGISTRY_CONCAT_(a, b) REPRO_REGISTRY_CONCAT_INNER_(a, b)
#define REGISTER_TABLE(paper, table, run, validate)                                   \
  static ::repro::TableRegistrar REPRO_REGISTRY_CONCAT_(repro_table_registrar_, __LINE__)( \
      paper, table, run, validate)

}  // namespace repro

#endif  // COMMON_RESULTS_REGISTRY_H_
