// The table results/common/fmnist_baselines: dense Fashion-MNIST baselines of the classifiers the
// papers share, trained through the common training loop, with one claim per model on test
// accuracy. It is also the first table through the whole path (config → training → results).
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/config/model_factory.h"
#include "common/config/train_options.h"
#include "common/data/fashion_mnist.h"
#include "common/port/logging.h"
#include "common/port/status_macros.h"
#include "common/results/cache_path.h"
#include "common/results/registry.h"
#include "common/results/section_builder.h"
#include "common/results/text_config.h"
#include "common/train/checkpoint.h"
#include "common/train/classifier_trainer.h"
#include "common/train/seed.h"
#include "experiments/experiment.h"
#include "experiments/fmnist_baselines.pb.h"

namespace repro {
namespace {

constexpr char kAccuracy[] = "test top-1 (%)";
constexpr char kParams[] = "parameters";
constexpr char kSpeed[] = "train samples/s";
constexpr char kSeconds[] = "train time (s)";

absl::Status Validate(const std::string& text, const std::string& path) {
  FmnistBaselinesConfig config;
  RETURN_IF_ERROR(ParseTextConfig(text, path, &config));
  RETURN_IF_ERROR(ValidateExperiment(config.experiment(), path));
  if (config.experiment().data().name() != DataSet::FASHION_MNIST) {
    return ConfigError(path, "experiment.data.name", "must be FASHION_MNIST for this table");
  }
  if (config.model().empty()) return ConfigError(path, "model", "needs at least one model");
  if (config.eval_batch_size() <= 0) return ConfigError(path, "eval_batch_size", "must be > 0");
  for (int i = 0; i < config.model_size(); ++i) {
    const BaselineModel& m = config.model(i);
    const std::string field = absl::StrCat("model[", i, "]");
    if (m.name().empty()) return ConfigError(path, field + ".name", "is empty");
    RETURN_IF_ERROR(ValidateModelConfig(m.model(), path, field + ".model"));
    RETURN_IF_ERROR(ValidateTrainConfig(m.train(), path, field + ".train"));
    if (m.min_test_accuracy() < 0 || m.min_test_accuracy() > 100) {
      return ConfigError(path, field + ".min_test_accuracy", "must be a percentage in [0, 100]");
    }
  }
  return absl::OkStatus();
}

LabeledImages Limit(const LabeledImages& data, int64_t max_items) {
  if (max_items <= 0 || max_items >= data.size()) return data;
  return Select(data, torch::arange(max_items));
}

absl::StatusOr<TableOutput> Run(const TableRun& run) {
  FmnistBaselinesConfig config;
  RETURN_IF_ERROR(ParseTextConfig(run.config_text, run.config_path, &config));
  TableOutput output;
  const std::vector<uint64_t> seeds = StartReport(config.experiment(), run, &output.report);
  ASSIGN_OR_RETURN(FashionMnist data, LoadFashionMnist(DataPath(config.experiment().data(), run)));
  const LabeledImages train = Limit(data.train, config.experiment().data().max_train());
  const LabeledImages test = Limit(data.test, config.experiment().data().max_test());

  SectionBuilder table("Fashion-MNIST test accuracy of the dense models", {kAccuracy, kParams});
  SectionBuilder speed("Training speed (2 cores; data batching, augmentation and optimizer included)",
                       {kSpeed, kSeconds}, 0);
  speed.set_timing(true);
  for (const BaselineModel& m : config.model()) {
    const std::string row = absl::StrCat(m.name(), " — ", ModelName(m.model()));
    for (uint64_t seed : seeds) {
      SeedEverything(seed);
      ASSIGN_OR_RETURN(std::shared_ptr<Classifier> model, MakeClassifier(m.model()));
      ASSIGN_OR_RETURN(TrainOptions options, ToTrainOptions(m.train()));
      options.seed = seed;
      options.log_label = absl::StrCat(m.name(), " seed ", seed);
      // The cache key is everything that determines the trained weights.
      const std::string key = absl::StrCat(m.model().DebugString(), m.train().DebugString(),
                                           config.experiment().data().DebugString(), "seed ", seed,
                                           " threads ", run.threads);
      options.checkpoint_path = CachedModelPath(run.cache_dir, "common", m.name(), key);
      options.config_text = key;
      ASSIGN_OR_RETURN(TrainReport report, TrainClassifier(*model, train, options));
      const double accuracy =
          100.0 * Evaluate(*model, test, config.eval_batch_size(), NormalizationOf(m.train()));
      int64_t params = 0;
      for (const torch::Tensor& p : model->parameters()) params += p.numel();
      table.Add(row, kAccuracy, accuracy);
      table.Add(row, kParams, static_cast<double>(params));
      if (report.resumed_from_step < report.total_steps) {
        // Freshly trained (not read back from the cache): its speed is a measurement.
        speed.Add(row, kSpeed, report.samples_per_second);
        speed.Add(row, kSeconds, report.wall_seconds);
      }
      LOG(INFO) << row << " seed " << seed << ": test top-1 " << absl::StrFormat("%.2f", accuracy)
                << "%, " << absl::StrFormat("%.0f", report.samples_per_second) << " samples/s";
    }
    const double mean = table.Mean(row, kAccuracy);
    Claim* claim = output.report.add_claims();
    claim->set_id(absl::StrCat(m.name(), "_accuracy"));
    claim->set_text(absl::StrFormat("%s reaches at least %.1f%% mean test top-1 accuracy", m.name(),
                                    m.min_test_accuracy()));
    claim->set_holds(mean >= m.min_test_accuracy());
    claim->set_evidence(absl::StrFormat("mean %.2f%% (± %.2f over %d seeds) vs threshold %.1f%%", mean,
                                        table.Std(row, kAccuracy), static_cast<int>(seeds.size()),
                                        m.min_test_accuracy()));
  }
  speed.set_note("Freshly trained runs only: a model read back from the cache has no speed.");
  *output.report.add_sections() = table.Build();
  *output.report.add_sections() = speed.Build();
  return output;
}

REGISTER_TABLE("common", "fmnist_baselines", Run, Validate);

}  // namespace
}  // namespace repro
