// The compatibility matrix of two trained models (an old one and a new one of a BT² table config):
// Top-1 and mAP for every (query model, gallery model) pair on the config's test set, so a user can
// check whether a new checkpoint can serve queries against a gallery the old one indexed.
//
//   bazel run //bt2:compat_matrix -- --config=experiments/bt2/bt2_main.cpu.pbtxt
//       --old_model=old --old_checkpoint=old.pt --new_model=bt2 --new_checkpoint=bt2.pt
//
//   query \ gallery     old (32-d)              bt2 (40-d)
//   old                 79.10 / 61.20 (32)      ...
//   bt2                 81.35 / 63.02 (32)      88.90 / 75.11 (40)
#ifndef BT2_COMPAT_MATRIX_H_
#define BT2_COMPAT_MATRIX_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bt2/config.pb.h"
#include "bt2/data.h"
#include "bt2/evaluate.h"

namespace repro::bt2 {

struct CompatibilityRequest {
  TableConfig config;
  std::string config_path;
  std::string old_model;  // model names in the config
  std::string new_model;
  std::string old_checkpoint;
  std::string new_checkpoint;
  int64_t queries_per_class = 0;  // 0: every test image is a query
};

// Checks what can be checked before any data is read: both names are models of the config, both
// checkpoint files exist, and the new model can be compared with the old one: its embedding is at
// least as wide, and, if it was trained for compatibility (BCT / BT²), against an old model of
// exactly the old model's width.
absl::Status CheckCompatibilityRequest(const CompatibilityRequest& request);

struct CompatibilityMatrix {
  std::string names[2];     // old, new
  int64_t dims[2] = {0, 0};
  CaseResult cells[2][2];   // [query][gallery], 0 = old, 1 = new
};

// Loads both checkpoints (a checkpoint that does not fit its model's description, e.g. another
// embedding width, is an error naming both) and measures the four pairs on `data`'s test set.
absl::StatusOr<CompatibilityMatrix> ComputeCompatibilityMatrix(const CompatibilityRequest& request,
                                                               const Bt2Data& data);

std::string FormatCompatibilityMatrix(const CompatibilityMatrix& matrix);

}  // namespace repro::bt2

#endif  // BT2_COMPAT_MATRIX_H_
