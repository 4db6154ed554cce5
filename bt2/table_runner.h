// Runs one BT² table from its config (config.proto): trains or loads every model it needs for each
// seed, measures every query/gallery case (Top-1 and mAP, leave-one-out over the test set, new/old
// on the first d_old dimensions), and builds the report: the measured table (mean ± std over
// seeds), the cross matrix when the config has one, the README numbers labelled as reported at
// paper scale, the claims with their verdicts and evidence, the sweep plots, and the training log.
#ifndef BT2_TABLE_RUNNER_H_
#define BT2_TABLE_RUNNER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/results/registry.h"

namespace repro::bt2 {

absl::StatusOr<TableOutput> RunBt2Table(const std::string& table, const TableRun& run);

// Parses and checks a config without running anything.
absl::Status ValidateBt2Table(const std::string& text, const std::string& path);

}  // namespace repro::bt2

#endif  // BT2_TABLE_RUNNER_H_
