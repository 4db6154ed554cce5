// Parsing and checking of BT² table configs (config.proto), and what the rest of the package derives
// from them: embedding widths, the row labels claims may name, and the cache key of each model.
// Everything here runs before any training, so a config error stops a run at once, naming the file
// and the field.
#ifndef BT2_TABLE_CONFIG_H_
#define BT2_TABLE_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bt2/config.pb.h"

namespace repro::bt2 {

inline constexpr char kTop1[] = "Top-1";
inline constexpr char kMap[] = "mAP";

// Parses `text` (the contents of `path`) and checks it with ValidateTableConfig.
absl::StatusOr<TableConfig> ParseTableConfig(const std::string& text, const std::string& path);

// Checks everything a run relies on: the shared Experiment part; unique model names; each kind's
// required fields (old_model / teacher references that exist, without cycles; a teacher that is an
// INDEPENDENT model of width d_new; BT² dimensions 0 <= k <= d_old and d_old − k <= d_new);
// training settings; cases, cross-matrix and plots that name existing models and rows; claims that
// name existing rows and the metrics Top-1 / mAP.
absl::Status ValidateTableConfig(const TableConfig& config, const std::string& path);

// The model named `name`, or null.
const ModelSpec* FindModel(const TableConfig& config, const std::string& name);

// The retrieval embedding width: d for INDEPENDENT / BCT, d_new + k for BT2.
int64_t EmbeddingDim(const ModelSpec& spec);

// The rows a table measures, in order: the cases, then "<query label>/<gallery label>" for every
// cell of the cross matrix.
struct RowSpec {
  std::string label;
  std::string query;
  std::string gallery;
};
std::vector<RowSpec> TableRows(const TableConfig& config);

// The names of the models the table's rows need, dependencies (old models, teachers) first.
std::vector<std::string> ModelsInTrainingOrder(const TableConfig& config);

// The text that determines the trained model `name` for `seed`: its description (without name,
// checkpoint path and logging), the data set and its limits, the seed, and the keys of the models it
// depends on. Equal keys in different tables mean the same model (trained once, then cached).
std::string ModelCacheKey(const TableConfig& config, const std::string& name, uint64_t seed);

}  // namespace repro::bt2

#endif  // BT2_TABLE_CONFIG_H_
