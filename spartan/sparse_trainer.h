// The sparse training loop: common/train's pieces (batches, augmentation, optimizer, learning-rate
// schedule, progress, NaN guard) around a Sparsifier, in the order of the official train.py
// (spec §2.5):
//
//   for step s = 1..T:  W_eff ← sparsifier.BeginStep(s)      (mask from the current weights)
//                       loss = CE(model(x; W_eff)); loss.backward()
//                       sparsifier.AfterBackward(s)           (RigL drop/grow)
//                       optimizer.step()
//   sparsifier.Finalize(); evaluate; measure the sparsity of the finalized model.
//
//   ASSIGN_OR_RETURN(SparseTrainResult r, TrainSparse(*model, train, test, train_options, sparsity, 1000));
#ifndef SPARTAN_SPARSE_TRAINER_H_
#define SPARTAN_SPARSE_TRAINER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/data/labeled_images.h"
#include "common/models/classifier.h"
#include "common/train/classifier_trainer.h"
#include "spartan/sparsifier.h"

namespace repro::spartan {

struct SparseTrainResult {
  double accuracy = 0.0;  // test top-1 in [0, 1] of the finalized model
  SparsityReport sparsity;
  std::vector<int64_t> flips;  // hard-mask entries changed at each step
  int64_t steps = 0;
  int64_t freeze_step = 0;
  int64_t ramp_end_step = 0;
  int64_t mask_entries = 0;
  double train_seconds = 0.0;
  double sparsifier_seconds = 0.0;  // in BeginStep/AfterBackward
  double samples_per_second = 0.0;
  double final_loss = 0.0;
  int64_t sinkhorn_iterations = 0;
  // The final allocation: per masked layer, its name, weights and kept (non-zero) weights.
  std::vector<std::string> layer_names;
  std::vector<int64_t> layer_weights;
  std::vector<int64_t> layer_kept;
};

// Trains `model` in place with `sparsity` (its total_steps and seed are taken from `options`),
// then finalizes and evaluates it on `test`. Checkpointing fields of `options` are ignored (runs
// are short; finished runs are cached by the caller).
absl::StatusOr<SparseTrainResult> TrainSparse(Classifier& model, const LabeledImages& train,
                                              const LabeledImages& test, const TrainOptions& options,
                                              SparsifierOptions sparsity, int64_t eval_batch_size);

}  // namespace repro::spartan

#endif  // SPARTAN_SPARSE_TRAINER_H_
