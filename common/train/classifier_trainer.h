// Supervised training of a Classifier (ResNet, ViT, MLP) on an in-memory LabeledImages with
// cross-entropy, and its evaluation: the one training loop the cpu-scale tables share.
//
// A run is a pure function of (model init, data, options, thread count): batches come from
// BatchIterator(seed), augmentation from a generator seeded by (seed, step), dropout from the
// default generator seeded by `seed` (and saved in checkpoints). With checkpoint_path set, the run
// writes checkpoints every checkpoint_every_steps and at the end, and a rerun resumes from the file
// and finishes bit-identical to an uninterrupted run (a finished run just reports).
//
//   TrainOptions o;
//   o.epochs = 3; o.batch_size = 128; o.optimizer.lr = 0.1; o.optimizer.momentum = 0.9;
//   o.optimizer.nesterov = true; o.warmup_steps = 100; o.augment.crop_padding = 2;
//   o.checkpoint_path = "/tmp/run/ckpt"; o.config_text = config.DebugString();
//   ASSIGN_OR_RETURN(TrainReport report, TrainClassifier(*net, train, o));
//   double accuracy = Evaluate(*net, test, 512);
#ifndef COMMON_TRAIN_CLASSIFIER_TRAINER_H_
#define COMMON_TRAIN_CLASSIFIER_TRAINER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/data/labeled_images.h"
#include "common/models/classifier.h"
#include "common/port/torch.h"
#include "common/train/augment.h"
#include "common/train/optimizer.h"
#include "common/train/schedule.h"

namespace repro {

struct TrainOptions {
  int64_t epochs = 1;
  int64_t steps = 0;  // > 0: total optimizer steps, overriding epochs
  int64_t batch_size = 128;
  bool drop_last = true;  // ignored when the set is smaller than one batch
  OptimizerOptions optimizer;                      // its lr is the schedule's base rate
  ScheduleKind schedule = ScheduleKind::kCosine;  // per step, over the whole run
  int64_t warmup_steps = 0;
  double min_lr = 0.0;
  AugmentOptions augment;        // its normalisation must also be given to Evaluate/Embed
  double label_smoothing = 0.0;  // cross-entropy label smoothing
  double clip_grad_norm = 0.0;   // > 0: clip the global gradient norm to this value
  uint64_t seed = 0;
  std::string checkpoint_path;         // empty: no checkpoints, no resume
  int64_t checkpoint_every_steps = 0;  // 0: only at the end of the run
  std::string config_text;  // stored in checkpoints; resuming from another config's file fails
  int64_t log_every = 0;    // progress line every this many steps (0: none)
  std::string log_label = "train";
  // For tests: stop once this many steps are done, as if the process were killed there (the
  // periodic checkpoints due by then are written, the final one is not). < 0: no limit.
  int64_t stop_at_step = -1;
};

struct TrainReport {
  int64_t steps = 0;               // steps done in total (including those before a resume)
  int64_t total_steps = 0;         // steps the full run has
  int64_t resumed_from_step = 0;   // 0 for a fresh run
  double final_loss = 0.0;         // loss of the last step
  double samples_per_second = 0.0; // over this process's steps
  double wall_seconds = 0.0;
};

// Trains `model` in place. Errors: a checkpoint that cannot be read or written or belongs to a
// different model/config; a NaN/Inf loss (Aborted, naming the step and the last good checkpoint,
// which is left as it was).
absl::StatusOr<TrainReport> TrainClassifier(Classifier& model, const LabeledImages& train,
                                            const TrainOptions& options);

// Logits [N, num_classes] of `images` [N, C, H, W] after `normalization`, in eval mode under
// NoGradGuard, `batch_size` at a time; the model's train/eval mode is restored afterwards.
torch::Tensor Predict(Classifier& model, const torch::Tensor& images, int64_t batch_size,
                      const Normalization& normalization = {});

// Top-1 accuracy in [0, 1] of `model` on `test`.
double Evaluate(Classifier& model, const LabeledImages& test, int64_t batch_size,
                const Normalization& normalization = {});

// Features [N, feature_dim] of `images` (model.features), like Predict.
torch::Tensor Embed(Classifier& model, const torch::Tensor& images, int64_t batch_size,
                    const Normalization& normalization = {});

}  // namespace repro

#endif  // COMMON_TRAIN_CLASSIFIER_TRAINER_H_
