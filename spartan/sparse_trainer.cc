// The sparse training loop (sparse_trainer.h).
#include "spartan/sparse_trainer.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/port/status_macros.h"
#include "common/train/augment.h"
#include "common/train/batch_iterator.h"
#include "common/train/nan_guard.h"
#include "common/train/optimizer.h"
#include "common/train/progress.h"
#include "common/train/schedule.h"
#include "common/train/seed.h"

namespace repro::spartan {
namespace {

constexpr uint64_t kAugmentStream = 0x5350414755ULL;  // "SPAGU"
constexpr uint64_t kInitStream = 0x5350494eULL;       // "SPIN"

}  // namespace

absl::StatusOr<SparseTrainResult> TrainSparse(Classifier& model, const LabeledImages& train,
                                              const LabeledImages& test, const TrainOptions& options,
                                              SparsifierOptions sparsity, int64_t eval_batch_size) {
  if (train.size() == 0 || test.size() == 0) {
    return absl::InvalidArgumentError("TrainSparse: empty training or test data");
  }
  if (options.batch_size <= 0 || (options.epochs <= 0 && options.steps <= 0)) {
    return absl::InvalidArgumentError("TrainSparse: batch_size and epochs (or steps) must be > 0");
  }
  BatchIteratorOptions batch_options;
  batch_options.batch_size = options.batch_size;
  batch_options.drop_last = options.drop_last && train.size() >= options.batch_size;
  batch_options.seed = options.seed;
  BatchIterator batches(train, batch_options);
  const int64_t total_steps =
      options.steps > 0 ? options.steps : options.epochs * batches.batches_per_epoch();

  sparsity.total_steps = total_steps;
  sparsity.seed = MixSeed(options.seed, kInitStream, 0);
  const torch::Tensor sample = torch::zeros({1, train.images.size(1), train.images.size(2),
                                             train.images.size(3)});
  const auto sample_forward = [&model, &sample] {
    const bool was_training = model.is_training();
    model.eval();  // no BatchNorm statistics from the probe
    model.forward(sample);
    model.train(was_training);
  };
  ASSIGN_OR_RETURN(std::unique_ptr<Sparsifier> sparsifier,
                   Sparsifier::Create(model, sparsity, sample_forward));

  model.train();
  std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(model, options.optimizer);
  ScheduleOptions schedule_options;
  schedule_options.kind = options.schedule;
  schedule_options.base_lr = options.optimizer.lr;
  schedule_options.min_lr = std::min(options.min_lr, options.optimizer.lr);
  schedule_options.warmup_steps = std::min(options.warmup_steps, total_steps);
  schedule_options.total_steps = total_steps;
  const LearningRateSchedule schedule(schedule_options);
  const auto cross_entropy_options =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options.label_smoothing);

  SparseTrainResult result;
  ProgressMeter meter(options.log_label, total_steps, 0, options.log_every);
  double loss_value = 0.0;
  for (int64_t step = 0; step < total_steps; ++step) {
    const Batch batch = batches.AtStep(step);
    torch::Generator generator = MakeGenerator(options.seed, kAugmentStream, step);
    const torch::Tensor images = Augment(batch.images, options.augment, generator);
    ApplyLearningRate(*optimizer, schedule.LearningRateAt(step));
    sparsifier->BeginStep(step + 1);
    optimizer->zero_grad();
    const torch::Tensor loss = torch::nn::functional::cross_entropy(
        model.forward(images), batch.labels, cross_entropy_options);
    loss_value = loss.item<double>();
    RETURN_IF_ERROR(CheckLossFinite(loss_value, step));
    loss.backward();
    sparsifier->AfterBackward(step + 1);
    if (options.clip_grad_norm > 0) {
      torch::nn::utils::clip_grad_norm_(model.parameters(), options.clip_grad_norm);
    }
    optimizer->step();
    meter.Update(step, loss_value, batch.labels.size(0));
  }
  meter.Finish();
  sparsifier->Finalize();

  result.accuracy = Evaluate(model, test, eval_batch_size, options.augment.normalize);
  result.sparsity = sparsifier->Measure();
  result.flips = sparsifier->flips();
  result.steps = total_steps;
  result.freeze_step = sparsifier->schedule().freeze_step();
  result.ramp_end_step = sparsifier->schedule().ramp_end_step();
  result.mask_entries = sparsifier->num_entries();
  result.train_seconds = meter.wall_seconds();
  result.samples_per_second = meter.samples_per_second();
  result.sparsifier_seconds = sparsifier->seconds();
  result.final_loss = loss_value;
  result.sinkhorn_iterations = sparsifier->sinkhorn_iterations();
  {
    torch::NoGradGuard no_grad;
    const auto parameters = model.named_parameters();
    for (const Sparsifier::LayerInfo& layer : sparsifier->layers()) {
      const torch::Tensor* weight = parameters.find(layer.name + ".weight");
      if (weight == nullptr) continue;
      result.layer_names.push_back(layer.name);
      result.layer_weights.push_back(weight->numel());
      result.layer_kept.push_back(weight->ne(0).sum().item<int64_t>());
    }
  }
  return result;
}

}  // namespace repro::spartan
