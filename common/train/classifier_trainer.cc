#include "common/train/classifier_trainer.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/port/status_macros.h"
#include "common/train/batch_iterator.h"
#include "common/train/checkpoint.h"
#include "common/train/nan_guard.h"
#include "common/train/progress.h"
#include "common/train/seed.h"

namespace repro {
namespace {

constexpr uint64_t kAugmentStream = 0x4155474dULL;  // "AUGM"
constexpr uint64_t kDropoutStream = 0x44524f50ULL;  // "DROP"

absl::Status ValidateOptions(const TrainOptions& o, const LabeledImages& train) {
  if (train.size() == 0 || !train.images.defined() || train.images.dim() != 4) {
    return absl::InvalidArgumentError("TrainClassifier: training data must be non-empty [N, C, H, W]");
  }
  if (o.batch_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("TrainClassifier: batch_size must be positive, got ", o.batch_size));
  }
  if (o.steps <= 0 && o.epochs <= 0) {
    return absl::InvalidArgumentError("TrainClassifier: set epochs or steps to a positive value");
  }
  if (o.label_smoothing < 0 || o.label_smoothing >= 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TrainClassifier: label_smoothing must lie in [0, 1), got ", o.label_smoothing));
  }
  return absl::OkStatus();
}

// Runs `fn` over `images` in batches in eval mode without gradients and concatenates the results.
torch::Tensor MapBatches(Classifier& model, const torch::Tensor& images, int64_t batch_size,
                         const Normalization& normalization,
                         const std::function<torch::Tensor(const torch::Tensor&)>& fn) {
  TORCH_CHECK(batch_size > 0, "batch_size must be positive, got ", batch_size);
  TORCH_CHECK(images.defined() && images.dim() >= 1 && images.size(0) > 0,
              "expected a non-empty batch of images");
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> outputs;
  for (int64_t begin = 0; begin < images.size(0); begin += batch_size) {
    const int64_t count = std::min(batch_size, images.size(0) - begin);
    outputs.push_back(fn(Normalize(images.narrow(0, begin, count), normalization)));
  }
  model.train(was_training);
  return torch::cat(outputs, 0);
}

}  // namespace

absl::StatusOr<TrainReport> TrainClassifier(Classifier& model, const LabeledImages& train,
                                            const TrainOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options, train));
  BatchIteratorOptions batch_options;
  batch_options.batch_size = options.batch_size;
  batch_options.drop_last = options.drop_last && train.size() >= options.batch_size;
  batch_options.seed = options.seed;
  BatchIterator batches(train, batch_options);

  TrainReport report;
  report.total_steps =
      options.steps > 0 ? options.steps : options.epochs * batches.batches_per_epoch();

  model.train();
  std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(model, options.optimizer);
  ScheduleOptions schedule_options;
  schedule_options.kind = options.schedule;
  schedule_options.base_lr = options.optimizer.lr;
  schedule_options.min_lr = std::min(options.min_lr, options.optimizer.lr);
  schedule_options.warmup_steps = std::min(options.warmup_steps, report.total_steps);
  schedule_options.total_steps = report.total_steps;
  const LearningRateSchedule schedule(schedule_options);

  int64_t start_step = 0;
  int64_t checkpoint_step = -1;  // step of the last checkpoint on disk
  double loss_value = std::numeric_limits<double>::quiet_NaN();
  const bool checkpointing = !options.checkpoint_path.empty();
  if (checkpointing && CheckpointExists(options.checkpoint_path)) {
    ASSIGN_OR_RETURN(const CheckpointState state,
                     LoadCheckpoint(options.checkpoint_path, model, optimizer.get()));
    if (state.config_text != options.config_text) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint ", options.checkpoint_path,
          " was written by a different config; delete it or choose another checkpoint path"));
    }
    if (state.step > report.total_steps) {
      return absl::FailedPreconditionError(
          absl::StrCat("checkpoint ", options.checkpoint_path, " is at step ", state.step,
                       " but the run has only ", report.total_steps, " steps"));
    }
    start_step = checkpoint_step = state.step;
    loss_value = state.loss;
  } else {
    // Dropout draws from the default generator: start it from the run's seed.
    SeedEverything(MixSeed(options.seed, kDropoutStream, 0));
  }
  report.resumed_from_step = start_step;

  const auto save = [&](int64_t steps_done) -> absl::Status {
    CheckpointState state;
    state.step = steps_done;
    state.loss = loss_value;
    state.config_text = options.config_text;
    RETURN_IF_ERROR(SaveCheckpoint(options.checkpoint_path, model, optimizer.get(), state));
    checkpoint_step = steps_done;
    return absl::OkStatus();
  };

  const auto cross_entropy_options =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options.label_smoothing);
  ProgressMeter meter(options.log_label, report.total_steps, start_step, options.log_every);
  int64_t step = start_step;
  for (; step < report.total_steps; ++step) {
    if (options.stop_at_step >= 0 && step >= options.stop_at_step) break;
    const Batch batch = batches.AtStep(step);
    torch::Generator generator = MakeGenerator(options.seed, kAugmentStream, step);
    const torch::Tensor images = Augment(batch.images, options.augment, generator);

    ApplyLearningRate(*optimizer, schedule.LearningRateAt(step));
    model.zero_grad(/*set_to_none=*/true);  // backward then writes fresh gradients, no add
    const torch::Tensor loss = torch::nn::functional::cross_entropy(
        model.forward(images), batch.labels, cross_entropy_options);
    loss_value = loss.item<double>();
    RETURN_IF_ERROR(
        CheckLossFinite(loss_value, step, options.checkpoint_path, checkpoint_step));
    loss.backward();
    if (options.clip_grad_norm > 0) {
      torch::nn::utils::clip_grad_norm_(model.parameters(), options.clip_grad_norm);
    }
    optimizer->step();
    meter.Update(step, loss_value, batch.labels.size(0));

    const int64_t done = step + 1;
    if (checkpointing && options.checkpoint_every_steps > 0 &&
        done % options.checkpoint_every_steps == 0 && done < report.total_steps) {
      RETURN_IF_ERROR(save(done));
    }
  }
  meter.Finish();
  report.steps = step;
  report.final_loss = loss_value;
  report.samples_per_second = meter.samples_per_second();
  report.wall_seconds = meter.wall_seconds();
  if (checkpointing && step == report.total_steps && checkpoint_step != step) {
    RETURN_IF_ERROR(save(step));
  }
  return report;
}

torch::Tensor Predict(Classifier& model, const torch::Tensor& images, int64_t batch_size,
                      const Normalization& normalization) {
  return MapBatches(model, images, batch_size, normalization,
                    [&model](const torch::Tensor& x) { return model.forward(x); });
}

torch::Tensor Embed(Classifier& model, const torch::Tensor& images, int64_t batch_size,
                    const Normalization& normalization) {
  return MapBatches(model, images, batch_size, normalization,
                    [&model](const torch::Tensor& x) { return model.features(x); });
}

double Evaluate(Classifier& model, const LabeledImages& test, int64_t batch_size,
                const Normalization& normalization) {
  TORCH_CHECK(test.size() > 0, "Evaluate: the test set is empty");
  const torch::Tensor logits = Predict(model, test.images, batch_size, normalization);
  const torch::Tensor correct = logits.argmax(1).eq(test.labels).sum();
  return static_cast<double>(correct.item<int64_t>()) / static_cast<double>(test.size());
}

}  // namespace repro
