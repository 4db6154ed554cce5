#include "bt2/model_zoo.h"

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bt2/losses.h"
#include "bt2/table_config.h"
#include "bt2/trainer.h"
#include "common/port/logging.h"
#include "common/results/cache_path.h"
#include "common/results/sha256.h"
#include "common/train/checkpoint.h"
#include "common/train/seed.h"

namespace repro::bt2 {
namespace {

const char* KindName(ModelSpec::Kind kind) {
  switch (kind) {
    case ModelSpec::INDEPENDENT:
      return "INDEPENDENT";
    case ModelSpec::BCT:
      return "BCT";
    case ModelSpec::BT2:
      return "BT2";
    default:
      return "?";
  }
}

std::string CacheName(ModelSpec::Kind kind) {
  switch (kind) {
    case ModelSpec::INDEPENDENT:
      return "independent";
    case ModelSpec::BCT:
      return "bct";
    default:
      return "bt2";
  }
}

// Each model draws its initialisation and batch order from its own stream: a function of the
// seed and of what the model is, so that two models of one seed do not share initial weights.
uint64_t ModelSeed(const TableConfig& config, const std::string& name, uint64_t seed) {
  const std::string fingerprint = Sha256Hex(ModelCacheKey(config, name, 0)).substr(0, 16);
  return MixSeed(seed, std::strtoull(fingerprint.c_str(), nullptr, 16), 0);
}

// LibTorch's default generator is process-wide: model initialisation (after SeedEverything) and
// checkpoint loading (which restores its state) hold this lock, so seeds trained concurrently
// still get the same weights as alone.
std::mutex& DefaultGeneratorMutex() {
  static std::mutex* mutex = new std::mutex();
  return *mutex;
}

std::shared_ptr<EmbeddingModel> SeededModel(const ModelSpec& spec, int64_t old_dim,
                                            const Bt2Data& data, uint64_t seed) {
  std::lock_guard<std::mutex> lock(DefaultGeneratorMutex());
  SeedEverything(seed);
  return MakeModel(spec, old_dim, data.input, data.num_classes);
}

}  // namespace

absl::Status LoadModelCheckpoint(const std::string& checkpoint, const ModelSpec& spec,
                                 const std::string& config_path, EmbeddingModel& model) {
  absl::StatusOr<CheckpointState> state;
  {
    std::lock_guard<std::mutex> lock(DefaultGeneratorMutex());
    state = LoadCheckpoint(checkpoint, model, nullptr);
  }
  if (state.ok()) {
    model.eval();
    return absl::OkStatus();
  }
  const std::string what = absl::StrFormat("model '%s' of %s (%s, %d-d embeddings)", spec.name(),
                                           config_path, KindName(spec.kind()), EmbeddingDim(spec));
  if (absl::IsNotFound(state.status())) {
    return absl::NotFoundError(absl::StrCat("checkpoint of ", what, " not found at ", checkpoint,
                                            "; fix the path or remove `checkpoint` to train it"));
  }
  return absl::Status(state.status().code(),
                      absl::StrCat("checkpoint ", checkpoint, " does not fit ", what, ": ",
                                   state.status().message()));
}

ModelZoo::ModelZoo(const TableConfig& config, std::string config_path, const Bt2Data& data,
                   std::string cache_dir, std::string log_prefix)
    : config_(config),
      config_path_(std::move(config_path)),
      data_(data),
      cache_dir_(std::move(cache_dir)),
      log_prefix_(std::move(log_prefix)) {}

absl::StatusOr<std::shared_ptr<EmbeddingModel>> ModelZoo::Get(const std::string& name,
                                                              uint64_t seed) {
  const auto key = std::make_pair(name, seed);
  if (auto it = models_.find(key); it != models_.end()) return it->second;
  const ModelSpec* spec = FindModel(config_, name);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(config_path_, ": no model named '", name, "'"));
  }
  absl::StatusOr<std::shared_ptr<EmbeddingModel>> model = Build(*spec, seed);
  if (!model.ok()) return model.status();
  models_[key] = *model;
  return *model;
}

absl::StatusOr<torch::Tensor> ModelZoo::TestEmbeddings(const std::string& name, uint64_t seed) {
  const auto key = std::make_pair(name, seed);
  if (auto it = test_embeddings_.find(key); it != test_embeddings_.end()) return it->second;
  absl::StatusOr<std::shared_ptr<EmbeddingModel>> model = Get(name, seed);
  if (!model.ok()) return model.status();
  torch::Tensor embeddings = EmbedImages(**model, data_.test.images);
  test_embeddings_[key] = embeddings;
  return embeddings;
}

absl::StatusOr<std::shared_ptr<EmbeddingModel>> ModelZoo::Build(const ModelSpec& spec,
                                                                uint64_t seed) {
  const ModelSpec* old = spec.old_model().empty() ? nullptr : FindModel(config_, spec.old_model());
  const int64_t old_dim = old != nullptr ? EmbeddingDim(*old) : 0;
  const uint64_t model_seed = ModelSeed(config_, spec.name(), seed);
  std::shared_ptr<EmbeddingModel> model = SeededModel(spec, old_dim, data_, model_seed);
  const std::string label = absl::StrCat(log_prefix_, spec.name(), " seed ", seed);

  if (!spec.checkpoint().empty()) {
    const absl::Status loaded = LoadModelCheckpoint(spec.checkpoint(), spec, config_path_, *model);
    if (!loaded.ok()) return loaded;
    log_.push_back(absl::StrCat(label, ": loaded from ", spec.checkpoint()));
    return model;
  }
  const std::string cache_key = ModelCacheKey(config_, spec.name(), seed);
  // Named by kind, not by the config's model name, so that equal models in different tables
  // (e.g. "new" in bt2_model_change and "new_cnn" in bt2_series) share one file.
  const std::string cache_path =
      cache_dir_.empty() ? "" : CachedModelPath(cache_dir_, "bt2", CacheName(spec.kind()), cache_key);
  if (!cache_path.empty() && CheckpointExists(cache_path)) {
    absl::StatusOr<CheckpointState> state;
    {
      std::lock_guard<std::mutex> lock(DefaultGeneratorMutex());
      state = LoadCheckpoint(cache_path, *model, nullptr);
    }
    if (state.ok() && state->config_text == cache_key) {
      model->eval();
      log_.push_back(absl::StrCat(label, ": cached (", cache_path, ")"));
      return model;
    }
    LOG(WARNING) << "ignoring unusable cached model " << cache_path << " ("
                 << (state.ok() ? "its key differs" : std::string(state.status().message()))
                 << "); training it again";
    model = SeededModel(spec, old_dim, data_, model_seed);
  }

  // Train: first the models it depends on, then its frozen targets.
  const LabeledImages train = TrainSubset(data_.train, spec.train_data(), model_seed);
  if (train.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        config_path_, ": model '", spec.name(), "' has no training images (check train_data)"));
  }
  TrainTargets targets;
  if (old != nullptr) {
    absl::StatusOr<std::shared_ptr<EmbeddingModel>> old_model = Get(old->name(), seed);
    if (!old_model.ok()) return old_model.status();
    namespace F = torch::nn::functional;
    // Unit-norm targets: a no-op for NormalizedClassifier; a BT² old model (series of updates) has
    // constant norm √(1 + C²), so this only rescales it.
    const torch::Tensor old_features = F::normalize(
        EmbedImages(**old_model, train.images), F::NormalizeFuncOptions().p(2).dim(1));
    targets.pseudo_classifier = PseudoOldClassifier(old_features, train.labels, data_.num_classes);
    if (spec.kind() == ModelSpec::BT2) {
      targets.old_targets = old_features;
      absl::StatusOr<std::shared_ptr<EmbeddingModel>> teacher = Get(spec.teacher(), seed);
      if (!teacher.ok()) return teacher.status();
      targets.new_targets = EmbedImages(**teacher, train.images);
    }
  }
  // Loading or training the dependencies drew random numbers: start from the seed again.
  model = SeededModel(spec, old_dim, data_, model_seed);
  absl::StatusOr<TrainStats> stats = TrainModel(*model, spec, train, targets, model_seed, label);
  if (!stats.ok()) return stats.status();
  training_seconds_ += stats->seconds;
  std::string line = absl::StrFormat("%s: trained on %d images, %d steps, %.0f samples/s, %.1f s",
                                     label, train.size(), stats->steps, stats->samples_per_second,
                                     stats->seconds);
  if (!cache_path.empty()) {
    CheckpointState state;
    state.step = stats->steps;
    state.loss = stats->final_loss;
    state.config_text = cache_key;
    const absl::Status saved = SaveCheckpoint(cache_path, *model, nullptr, state);
    if (saved.ok()) {
      absl::StrAppend(&line, " (saved to ", cache_path, ")");
    } else {
      LOG(WARNING) << "could not cache the model: " << saved.message();
    }
  }
  log_.push_back(line);
  return model;
}

}  // namespace repro::bt2
