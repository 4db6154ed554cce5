// Writes the synthetic SpritePhase benchmark (sprite_phase.h) to disk as Penn Action-style frame
// folders with label files (frame_folder.h), so it can be inspected, shared, and read back by the
// same reader as the paper-scale data sets.
//
//   bazel run //common/data/video:write_sprite_phase -- --out=/tmp/spritephase --variant=relational
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/data/fashion_mnist.h"
#include "common/data/video/frame_folder.h"
#include "common/data/video/sprite_phase.h"
#include "common/port/logging.h"
#include "common/port/main.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "gflags/gflags.h"

DEFINE_string(out, "", "output folder (created)");
DEFINE_string(fashion_mnist_dir, repro::kFashionMnistDir, "Fashion-MNIST IDX folder (sprites)");
DEFINE_string(variant, "relational", "relational (R1) or control (C0)");
DEFINE_string(actions, "fetch,push,orbit", "comma-separated actions");
DEFINE_int32(train_per_action, 240, "train videos per action");
DEFINE_int32(val_per_action, 120, "val videos per action");
DEFINE_int32(max_distractors, 2, "maximum distractors per video (relational variant)");
DEFINE_uint64(seed, 0, "data seed");
DEFINE_int32(threads, 0, "threads (0: all cores)");

namespace repro {
namespace {

absl::Status Run() {
  if (FLAGS_out.empty()) return absl::InvalidArgumentError("--out is required");
  SetThreads(FLAGS_threads);
  SpritePhaseOptions options;
  if (FLAGS_variant == "relational") {
    options.variant = SpritePhaseVariant::kRelational;
  } else if (FLAGS_variant == "control") {
    options.variant = SpritePhaseVariant::kControl;
  } else {
    return absl::InvalidArgumentError("--variant must be relational or control");
  }
  options.actions = absl::StrSplit(FLAGS_actions, ',', absl::SkipEmpty());
  options.train_per_action = FLAGS_train_per_action;
  options.val_per_action = FLAGS_val_per_action;
  options.max_distractors = FLAGS_max_distractors;
  options.seed = FLAGS_seed;
  ASSIGN_OR_RETURN(const FashionMnist fmnist, LoadFashionMnist(FLAGS_fashion_mnist_dir));
  ASSIGN_OR_RETURN(const VideoDataset data, GenerateSpritePhase(options, fmnist.train, fmnist.test));
  RETURN_IF_ERROR(WriteFrameFolderDataset(data, FLAGS_out));
  LOG(INFO) << "wrote " << data.train.size() << " train and " << data.val.size() << " val videos to "
            << FLAGS_out;
  return absl::OkStatus();
}

}  // namespace
}  // namespace repro

int main(int argc, char** argv) {
  return repro::RunMain(argc, argv, "Writes the SpritePhase synthetic video benchmark to disk.",
                        repro::Run);
}
