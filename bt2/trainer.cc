#include "bt2/trainer.h"

#include "absl/strings/str_cat.h"
#include "bt2/losses.h"
#include "common/train/batch_iterator.h"
#include "common/train/nan_guard.h"
#include "common/train/optimizer.h"
#include "common/train/progress.h"
#include "common/train/schedule.h"

namespace repro::bt2 {

std::shared_ptr<EmbeddingModel> MakeModel(const ModelSpec& spec, int64_t old_dim,
                                          const InputShape& input, int64_t num_classes) {
  if (spec.kind() == ModelSpec::BT2) {
    Bt2ModelOptions options;
    options.trunk = spec.trunk();
    options.input = input;
    options.new_dim = spec.embedding_dim();
    options.old_dim = old_dim;
    options.extra_dims = spec.extra_dims();
    options.norm_c = spec.norm_c();
    options.num_classes = num_classes;
    options.orthogonal = !spec.unconstrained_maps();
    return std::make_shared<Bt2ModelImpl>(options);
  }
  return std::make_shared<NormalizedClassifierImpl>(spec.trunk(), input, spec.embedding_dim(),
                                                    num_classes);
}

absl::StatusOr<TrainStats> TrainModel(EmbeddingModel& model, const ModelSpec& spec,
                                      const LabeledImages& train, const TrainTargets& targets,
                                      uint64_t seed, const std::string& label) {
  const Train& config = spec.train();
  auto* classifier = dynamic_cast<NormalizedClassifierImpl*>(&model);
  auto* bt2 = dynamic_cast<Bt2ModelImpl*>(&model);
  TORCH_CHECK((spec.kind() == ModelSpec::BT2) == (bt2 != nullptr) && (bt2 || classifier),
              "TrainModel: the model does not match the kind of '", spec.name(), "'");
  if (spec.kind() != ModelSpec::INDEPENDENT) {
    TORCH_CHECK(targets.pseudo_classifier.defined(), "TrainModel: BCT/BT2 need P");
  }
  if (bt2 != nullptr) {
    TORCH_CHECK(targets.new_targets.defined() && targets.old_targets.defined() &&
                    targets.new_targets.size(0) == train.size() &&
                    targets.old_targets.size(0) == train.size(),
                "TrainModel: BT2 needs one φ'_new and one φ_old target per training item");
  }

  BatchIteratorOptions batch_options;
  batch_options.batch_size = config.batch_size();
  batch_options.seed = seed;
  BatchIterator batches(train, batch_options);

  OptimizerOptions optimizer_options;
  if (config.optimizer() == "adam") optimizer_options.kind = OptimizerKind::kAdam;
  if (config.optimizer() == "adamw") optimizer_options.kind = OptimizerKind::kAdamW;
  if (config.optimizer() == "sgd") optimizer_options.kind = OptimizerKind::kSgd;
  optimizer_options.lr = config.lr();
  optimizer_options.momentum = config.momentum();
  optimizer_options.weight_decay = config.weight_decay();
  std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(model, optimizer_options);

  // Stepped per epoch, as the official trainers do (spec §2.4).
  ScheduleOptions schedule_options;
  schedule_options.kind =
      config.schedule() == "constant" ? ScheduleKind::kConstant : ScheduleKind::kCosine;
  schedule_options.base_lr = config.lr();
  schedule_options.warmup_steps = config.warmup_epochs();
  schedule_options.total_steps = config.epochs();
  const LearningRateSchedule schedule(schedule_options);

  const int64_t total_steps = config.epochs() * batches.batches_per_epoch();
  ProgressMeter meter(label, total_steps, 0, config.log_every() > 0 ? config.log_every() : total_steps);
  const double smoothing = config.label_smoothing();
  Bt2LossWeights weights;
  weights.new_match = spec.new_match_weight();
  weights.influence = spec.influence_weight();
  weights.old_match = spec.old_match_weight();
  weights.label_smoothing = smoothing;

  model.train();
  TrainStats stats;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < config.epochs(); ++epoch) {
    ApplyLearningRate(*optimizer, schedule.LearningRateAt(epoch));
    for (int64_t b = 0; b < batches.batches_per_epoch(); ++b, ++step) {
      const Batch batch = batches.Get(epoch, b);
      optimizer->zero_grad();
      torch::Tensor loss;
      if (bt2 != nullptr) {
        const Bt2Output out = bt2->forward(batch.images);
        loss = Bt2Loss(out, batch.labels, targets.new_targets.index_select(0, batch.indices),
                       targets.old_targets.index_select(0, batch.indices),
                       targets.pseudo_classifier, weights)
                   .total;
      } else {
        const ClassifierOutput out = classifier->forward(batch.images);
        loss = CrossEntropy(out.logits, batch.labels, smoothing);
        if (spec.kind() == ModelSpec::BCT) {
          loss = loss + spec.influence_weight() * InfluenceLoss(out.embedding,
                                                                targets.pseudo_classifier,
                                                                batch.labels, smoothing);
        }
      }
      const double value = loss.item<double>();
      const absl::Status finite = CheckLossFinite(value, step);
      if (!finite.ok()) return absl::Status(finite.code(), absl::StrCat(label, ": ", finite.message()));
      loss.backward();
      optimizer->step();
      meter.Update(step, value, batch.labels.size(0));
      stats.final_loss = value;
    }
  }
  meter.Finish();
  model.eval();
  stats.steps = step;
  stats.samples_per_second = meter.samples_per_second();
  stats.seconds = meter.wall_seconds();
  return stats;
}

torch::Tensor EmbedImages(EmbeddingModel& model, const torch::Tensor& images, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += batch_size) {
    parts.push_back(model.Embed(images.slice(0, start, start + batch_size)));
  }
  model.train(was_training);
  if (parts.empty()) return torch::zeros({0, model.embedding_dim()});
  return torch::cat(parts, 0);
}

}  // namespace repro::bt2
