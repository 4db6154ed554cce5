#include "common/config/train_options.h"

#include "absl/strings/str_cat.h"
#include "common/results/text_config.h"

namespace repro {

absl::Status ValidateTrainConfig(const TrainConfig& config, const std::string& path,
                                 const std::string& field) {
  auto error = [&](const std::string& sub, const std::string& what) {
    return ConfigError(path, absl::StrCat(field, ".", sub), what);
  };
  if (config.epochs() <= 0 && config.steps() <= 0) return error("epochs", "or steps must be > 0");
  if (config.epochs() < 0 || config.steps() < 0) return error("epochs/steps", "must be >= 0");
  if (config.batch_size() <= 0) return error("batch_size", "must be > 0");
  if (!ParseOptimizerKind(config.optimizer().kind()).ok()) {
    return error("optimizer.kind", "must be \"sgd\", \"adam\" or \"adamw\"");
  }
  if (config.optimizer().lr() <= 0) return error("optimizer.lr", "must be > 0");
  if (config.optimizer().momentum() < 0 || config.optimizer().momentum() >= 1) {
    return error("optimizer.momentum", "must be in [0, 1)");
  }
  if (config.optimizer().nesterov() && config.optimizer().momentum() <= 0) {
    return error("optimizer.nesterov", "needs momentum > 0");
  }
  if (config.optimizer().weight_decay() < 0) return error("optimizer.weight_decay", "must be >= 0");
  if (!config.schedule().empty() && config.schedule() != "cosine" && config.schedule() != "constant") {
    return error("schedule", "must be \"cosine\" or \"constant\"");
  }
  if (config.warmup_steps() < 0) return error("warmup_steps", "must be >= 0");
  if (config.min_lr() < 0) return error("min_lr", "must be >= 0");
  if (config.crop_padding() < 0) return error("crop_padding", "must be >= 0");
  if (config.normalize_mean_size() != config.normalize_std_size()) {
    return error("normalize_std", "must have as many values as normalize_mean");
  }
  for (double s : config.normalize_std()) if (s <= 0) return error("normalize_std", "must be > 0");
  if (config.label_smoothing() < 0 || config.label_smoothing() >= 1) {
    return error("label_smoothing", "must be in [0, 1)");
  }
  if (config.clip_grad_norm() < 0) return error("clip_grad_norm", "must be >= 0");
  if (config.log_every() < 0) return error("log_every", "must be >= 0");
  return absl::OkStatus();
}

Normalization NormalizationOf(const TrainConfig& config) {
  return {{config.normalize_mean().begin(), config.normalize_mean().end()},
          {config.normalize_std().begin(), config.normalize_std().end()}};
}

absl::StatusOr<TrainOptions> ToTrainOptions(const TrainConfig& config) {
  absl::Status status = ValidateTrainConfig(config, "<train config>", "train");
  if (!status.ok()) return status;
  TrainOptions options;
  options.epochs = config.epochs();
  options.steps = config.steps();
  options.batch_size = config.batch_size();
  OptimizerOptions& opt = options.optimizer;
  opt.kind = *ParseOptimizerKind(config.optimizer().kind());
  opt.lr = config.optimizer().lr();
  opt.momentum = config.optimizer().momentum();
  opt.nesterov = config.optimizer().nesterov();
  opt.weight_decay = config.optimizer().weight_decay();
  if (config.optimizer().has_beta1()) opt.beta1 = config.optimizer().beta1();
  if (config.optimizer().has_beta2()) opt.beta2 = config.optimizer().beta2();
  opt.no_decay_on_bias_and_norm = config.optimizer().no_decay_on_bias_and_norm();
  options.schedule = config.schedule() == "constant" ? ScheduleKind::kConstant : ScheduleKind::kCosine;
  options.warmup_steps = config.warmup_steps();
  options.min_lr = config.min_lr();
  options.augment.crop_padding = config.crop_padding();
  options.augment.horizontal_flip = config.horizontal_flip();
  options.augment.normalize = NormalizationOf(config);
  options.label_smoothing = config.label_smoothing();
  options.clip_grad_norm = config.clip_grad_norm();
  options.log_every = config.log_every();
  return options;
}

}  // namespace repro
