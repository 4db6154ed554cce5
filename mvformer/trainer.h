// Self-supervised training of MV-Former (or a baseline) with the sequence contrastive loss on
// precomputed features (spec §4, scaled per §10.3): each step takes `batch_videos` train videos,
// two views each (independent time_augment samples, each from a random augmented feature copy),
// Adam with L2 weight decay, a per-step cosine schedule, global gradient-norm clipping, a NaN
// guard, and a progress line that reports frames/s (frames through the temporal model per second).
#ifndef MVFORMER_TRAINER_H_
#define MVFORMER_TRAINER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "mvformer/features.h"
#include "mvformer/model.h"
#include "mvformer/scl_loss.h"

namespace repro::mvformer {

struct MvFormerTrainOptions {
  int64_t steps = 600;
  int64_t batch_videos = 4;
  int64_t num_frames = 32;       // T
  double lr = 1e-3;
  double weight_decay = 1e-5;
  double clip_grad_norm = 10.0;  // <= 0: no clipping
  double sampling_region = 1.5;
  SclOptions loss;
  uint64_t seed = 0;
  int64_t log_every = 0;
  std::string log_label = "mvformer";
};

struct MvFormerTrainReport {
  int64_t steps = 0;
  double final_loss = 0;
  double first_loss = 0;
  double frames_per_second = 0;  // clip frames (2 views x batch x T) per second of training
  double wall_seconds = 0;
};

// Trains `model` in place on bank.train (copies 1.. when present, else copy 0). Deterministic in
// (options.seed, thread count): model init is the caller's; batches, sampling and dropout come from
// the run's own generators seeded by (seed, stream, step), never from the default generator, so
// several runs may train concurrently (one thread each) and still give the same numbers.
absl::StatusOr<MvFormerTrainReport> TrainMvFormer(MvFormer& model, const FeatureBank& bank,
                                                  const ChannelRange& channels,
                                                  const MvFormerTrainOptions& options);

}  // namespace repro::mvformer

#endif  // MVFORMER_TRAINER_H_
