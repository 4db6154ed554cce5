// compat_matrix: prints the compatibility matrix (Top-1 / mAP of old/old, old/new, new/old,
// new/new) of an old and a new checkpoint, described by the models of a BT² table config.
//
//   bazel run //bt2:compat_matrix -- --config=experiments/bt2/bt2_main.cpu.pbtxt
//       --old_model=old --old_checkpoint=/path/old.pt --new_model=bt2 --new_checkpoint=/path/bt2.pt
//
// Bad input (a missing checkpoint, a checkpoint of another embedding size, models of incompatible
// dimensions, an unknown model name) gives one line on stderr and a non-zero exit.
#include <cstdio>
#include <string>

#include "bt2/compat_matrix.h"
#include "bt2/table_config.h"
#include "common/data/fashion_mnist.h"
#include "common/port/main.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "common/results/atomic_file.h"
#include "gflags/gflags.h"

DEFINE_string(config, "", "A BT² table config (experiments/bt2/<table>.<scale>.pbtxt) that describes "
                          "both models and the data set.");
DEFINE_string(old_model, "old", "Name of the old (gallery) model in the config.");
DEFINE_string(new_model, "bt2", "Name of the new (query) model in the config.");
DEFINE_string(old_checkpoint, "", "Checkpoint of the old model.");
DEFINE_string(new_checkpoint, "", "Checkpoint of the new model.");
DEFINE_int64(queries_per_class, -1, "Fixed queries per class; -1: the config's eval setting, 0: all.");
DEFINE_string(fashion_mnist_dir, repro::kFashionMnistDir, "Fashion-MNIST IDX folder.");
DEFINE_string(data_dir, "", "Root of the paper-scale data sets.");
DEFINE_int32(threads, 0, "Intra-op threads; 0: all hardware threads.");

namespace repro::bt2 {
namespace {

absl::Status Run() {
  if (FLAGS_config.empty()) return absl::InvalidArgumentError("--config is required");
  SetThreads(FLAGS_threads);
  absl::StatusOr<std::string> text = ReadFile(FLAGS_config);
  if (!text.ok()) return absl::NotFoundError("config " + FLAGS_config + " not found");
  CompatibilityRequest request;
  ASSIGN_OR_RETURN(request.config, ParseTableConfig(*text, FLAGS_config));
  request.config_path = FLAGS_config;
  request.old_model = FLAGS_old_model;
  request.new_model = FLAGS_new_model;
  request.old_checkpoint = FLAGS_old_checkpoint;
  request.new_checkpoint = FLAGS_new_checkpoint;
  request.queries_per_class = FLAGS_queries_per_class >= 0 ? FLAGS_queries_per_class
                                                           : request.config.eval().queries_per_class();
  RETURN_IF_ERROR(CheckCompatibilityRequest(request));  // before reading any data
  TableRun run;
  run.fashion_mnist_dir = FLAGS_fashion_mnist_dir;
  run.data_dir = FLAGS_data_dir;
  ASSIGN_OR_RETURN(const Bt2Data data, LoadBt2Data(request.config.experiment(), run));
  ASSIGN_OR_RETURN(const CompatibilityMatrix matrix, ComputeCompatibilityMatrix(request, data));
  std::printf("%s", FormatCompatibilityMatrix(matrix).c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace repro::bt2

int main(int argc, char** argv) {
  return repro::RunMain(argc, argv,
                        "Prints the compatibility matrix of two checkpoints. Usage: compat_matrix "
                        "--config=<bt2 table config> --old_model=NAME --old_checkpoint=FILE "
                        "--new_model=NAME --new_checkpoint=FILE",
                        repro::bt2::Run);
}
