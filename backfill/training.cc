#include "backfill/training.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/model_factory.h"
#include "common/config/train_options.h"
#include "common/port/status_macros.h"
#include "common/results/cache_path.h"
#include "common/train/augment.h"
#include "common/train/batch_iterator.h"
#include "common/train/checkpoint.h"
#include "common/train/classifier_trainer.h"
#include "common/train/nan_guard.h"
#include "common/train/optimizer.h"
#include "common/train/progress.h"
#include "common/train/schedule.h"
#include "common/train/seed.h"

namespace repro::backfill {
namespace {

constexpr uint64_t kSubsetStream = 0x53554253ULL;   // "SUBS"
constexpr uint64_t kAugmentStream = 0x42414354ULL;  // "BACT"
constexpr uint64_t kShuffleStream = 0x50534948ULL;  // "PSIH"
constexpr uint64_t kInitStream = 0x494e4954ULL;     // "INIT"

std::string CachePath(const CacheKey& cache) {
  if (cache.dir.empty()) return "";
  return CachedModelPath(cache.dir, "backfill", cache.name, cache.text);
}

// Loads `path` into `module` (model only). `what` names the model in errors.
absl::Status LoadInto(const std::string& path, torch::nn::Module& module, const std::string& what,
                      const std::string& hint) {
  absl::StatusOr<CheckpointState> state = LoadCheckpoint(path, module, nullptr);
  if (!state.ok()) {
    return absl::Status(state.status().code(),
                        absl::StrCat(what, " checkpoint ", path, ": ", state.status().message(),
                                     hint.empty() ? "" : "; ", hint));
  }
  return absl::OkStatus();
}

torch::Tensor SquaredError(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).pow(2).sum(1).mean();
}

// Copies parameters and buffers of `from` into `to` (same architecture).
void CopyState(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src_params = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src_params[p.key()]);
  auto src_buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(src_buffers[b.key()]);
}

// The row order of `epoch` for n items.
torch::Tensor EpochOrder(int64_t n, uint64_t seed, int64_t epoch) {
  torch::Generator generator = MakeGenerator(seed, kShuffleStream, static_cast<uint64_t>(epoch));
  return torch::randperm(n, generator, torch::TensorOptions().dtype(torch::kInt64));
}

absl::Status CheckPairs(const EmbeddingPairs& data) {
  if (!data.new_embeddings.defined() || !data.old_embeddings.defined() ||
      data.new_embeddings.dim() != 2 || data.old_embeddings.dim() != 2 ||
      data.new_embeddings.size(0) != data.old_embeddings.size(0) ||
      data.labels.size(0) != data.new_embeddings.size(0) || data.new_embeddings.size(0) < 2) {
    return absl::InvalidArgumentError(
        "ψ training: new and old embeddings and labels must describe the same >= 2 images");
  }
  return absl::OkStatus();
}

// The memoized reference initial weights (training.h), by key.
struct InitStore {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<torch::nn::Module>> references;
  int prebuilt_only = 0;  // live PrebuiltInitOnly guards
};

InitStore& Inits() {
  static auto* store = new InitStore();
  return *store;
}

// A model made by `make` with the initial weights of the reference `key`: the weights `make`
// draws right after SeedEverything(init_seed), built on first use (see training.h).
template <typename T>
absl::StatusOr<std::shared_ptr<T>> Initialised(
    const std::string& key, uint64_t init_seed,
    const std::function<absl::StatusOr<std::shared_ptr<T>>()>& make) {
  InitStore& store = Inits();
  std::lock_guard<std::mutex> lock(store.mutex);
  auto it = store.references.find(key);
  if (it == store.references.end()) {
    if (store.prebuilt_only > 0) {
      return absl::InternalError(absl::StrCat(
          "backfill: the initial weights of ", key,
          " were not prebuilt before the seeds ran concurrently (PrebuildInitialWeights)"));
    }
    SeedEverything(init_seed);
    ASSIGN_OR_RETURN(std::shared_ptr<T> reference, make());
    it = store.references.emplace(key, reference).first;
  }
  // Its own draws (from a generator other threads may be using) are overwritten.
  ASSIGN_OR_RETURN(std::shared_ptr<T> model, make());
  CopyState(*it->second, *model);
  return model;
}

// The initial classifier of `config` for `seed`; `stream` tells apart kinds of one architecture
// (0: backbones, 1: BCT).
absl::StatusOr<std::shared_ptr<Classifier>> InitialClassifier(const ModelConfig& config,
                                                              uint64_t seed, uint64_t stream) {
  return Initialised<Classifier>(
      absl::StrCat("classifier ", stream, " | ", config.ShortDebugString(), " | seed ", seed),
      MixSeed(seed, kInitStream, stream), [&] { return MakeClassifier(config); });
}

std::string TransformKey(const char* kind, const TransformOptions& o, uint64_t seed) {
  return absl::StrCat(kind, " ", o.in_dim(), " -> ", o.out_dim(), " | hidden ",
                      absl::StrJoin(o.hidden(), ","), " | normalize ", o.normalize(), " | seed ",
                      seed);
}

absl::StatusOr<ReverseTransform> InitialPsi(const TransformOptions& options, uint64_t seed) {
  ASSIGN_OR_RETURN(std::shared_ptr<ReverseTransformImpl> psi,
                   Initialised<ReverseTransformImpl>(
                       TransformKey("psi", options, seed), MixSeed(seed, kInitStream, 2),
                       [&]() -> absl::StatusOr<std::shared_ptr<ReverseTransformImpl>> {
                         return std::make_shared<ReverseTransformImpl>(options);
                       }));
  return ReverseTransform(psi);
}

absl::StatusOr<NewEmbedding> InitialRho(const TransformOptions& options, uint64_t seed) {
  ASSIGN_OR_RETURN(std::shared_ptr<NewEmbeddingImpl> rho,
                   Initialised<NewEmbeddingImpl>(
                       TransformKey("rho", options, seed), MixSeed(seed, kInitStream, 3),
                       [&]() -> absl::StatusOr<std::shared_ptr<NewEmbeddingImpl>> {
                         return std::make_shared<NewEmbeddingImpl>(options);
                       }));
  return NewEmbedding(rho);
}

TransformOptions PsiOptions(const Psi& spec, int64_t d_new, int64_t d_old, bool normalize) {
  return TransformOptions()
      .in_dim(d_new)
      .out_dim(d_old)
      .hidden(std::vector<int64_t>(spec.hidden().begin(), spec.hidden().end()))
      .normalize(normalize);
}

TransformOptions RhoOptions(const NewEmbeddingSpec& spec, int64_t d_new, bool normalize) {
  return TransformOptions()
      .in_dim(d_new)
      .out_dim(d_new)
      .hidden(std::vector<int64_t>(spec.hidden().begin(), spec.hidden().end()))
      .normalize(normalize);
}

// The BCT architecture: the new one with the old embedding width, so the old classifier can score
// it and its queries can search the old gallery.
absl::StatusOr<ModelConfig> BctModelConfig(const Backbone& new_spec, int64_t old_dim,
                                           const std::string& config_path) {
  ModelConfig config = new_spec.model();
  if (config.has_resnet()) {
    config.mutable_resnet()->set_embedding_dim(old_dim);
  } else if (config.has_mlp() && config.mlp().hidden_sizes_size() > 0) {
    config.mutable_mlp()->set_hidden_sizes(config.mlp().hidden_sizes_size() - 1, old_dim);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        config_path, ": BCT needs a new model whose embedding width can be set (a ResNet with "
                     "embedding_dim or an MLP)"));
  }
  return config;
}

bool HasDropout(const ModelConfig& config) {
  return (config.has_mlp() && config.mlp().dropout() > 0) ||
         (config.has_vit() && config.vit().dropout() > 0);
}

}  // namespace

void PrebuildInitialWeights(const Config& config, uint64_t seed) {
  const bool normalize = config.protocol().normalize();
  const absl::StatusOr<std::shared_ptr<Classifier>> new_model =
      InitialClassifier(config.new_model().model(), seed, 0);
  if (!new_model.ok()) return;
  const int64_t d_new = (*new_model)->feature_dim();
  // ρ: for the main table's LEARNABLE_NEW_EMBEDDING row and the ablation's ψ+ρ runs (every variant
  // starts from the same ρ, whose key does not depend on the variant).
  const bool rho_method =
      std::find(config.methods().begin(), config.methods().end(), LEARNABLE_NEW_EMBEDDING) !=
      config.methods().end();
  if (config.has_new_embedding() || rho_method || config.ablation_with_new_embedding()) {
    (void)InitialRho(RhoOptions(config.new_embedding(), d_new, normalize), seed);
  }
  for (const Setting& setting : config.settings()) {
    const absl::StatusOr<std::shared_ptr<Classifier>> old_model =
        InitialClassifier(setting.old_model().model(), seed, 0);
    if (!old_model.ok()) continue;
    const int64_t d_old = (*old_model)->feature_dim();
    if (absl::StatusOr<ModelConfig> bct = BctModelConfig(config.new_model(), d_old, "");
        bct.ok()) {
      (void)InitialClassifier(*bct, seed, 1);
    }
    (void)InitialPsi(PsiOptions(config.psi(), d_new, d_old, normalize), seed);
  }
}

PrebuiltInitOnly::PrebuiltInitOnly() {
  std::lock_guard<std::mutex> lock(Inits().mutex);
  ++Inits().prebuilt_only;
}

PrebuiltInitOnly::~PrebuiltInitOnly() {
  std::lock_guard<std::mutex> lock(Inits().mutex);
  --Inits().prebuilt_only;
}

bool UsesDropout(const Config& config) {
  if (HasDropout(config.new_model().model())) return true;
  for (const Setting& setting : config.settings()) {
    if (HasDropout(setting.old_model().model())) return true;
  }
  return false;
}

MclVariant ToMclVariant(MclLossVariant variant) {
  switch (variant) {
    case OLD_ONLY:
      return MclVariant::kOldOnly;
    case NEW_ONLY:
      return MclVariant::kNewOnly;
    case SEPARATE:
      return MclVariant::kSeparate;
    default:
      return MclVariant::kJoint;
  }
}

LabeledImages BackboneTrainingData(const Backbone& spec, const LabeledImages& train,
                                   uint64_t seed) {
  LabeledImages data = train;
  if (!spec.classes().empty()) {
    data = FilterClasses(data, std::vector<int64_t>(spec.classes().begin(), spec.classes().end()));
  }
  if (spec.fraction() > 0 && spec.fraction() < 1) {
    data = TakeFractionPerClass(data, spec.fraction(), MixSeed(seed, kSubsetStream, 0));
  }
  return data;
}

absl::StatusOr<std::shared_ptr<Classifier>> TrainOrLoadBackbone(
    const Backbone& spec, const LabeledImages& train, uint64_t seed, const CacheKey& cache,
    const std::string& config_path, const std::string& field) {
  RETURN_IF_ERROR(ValidateModelConfig(spec.model(), config_path, absl::StrCat(field, ".model")));
  RETURN_IF_ERROR(ValidateTrainConfig(spec.train(), config_path, absl::StrCat(field, ".train")));
  ASSIGN_OR_RETURN(std::shared_ptr<Classifier> model, InitialClassifier(spec.model(), seed, 0));
  if (!spec.checkpoint().empty()) {
    RETURN_IF_ERROR(LoadInto(spec.checkpoint(), *model, field,
                             absl::StrCat("it must fit ", ModelName(spec.model()), " (",
                                          config_path, ": ", field, ".checkpoint)")));
    return model;
  }
  ASSIGN_OR_RETURN(TrainOptions options, ToTrainOptions(spec.train()));
  options.seed = seed;
  options.checkpoint_path = CachePath(cache);
  options.config_text = cache.text;
  options.log_label = absl::StrCat("backfill/", cache.name);
  const LabeledImages data = BackboneTrainingData(spec, train, seed);
  if (data.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(config_path, ": field '", field, "' selects no training images"));
  }
  ASSIGN_OR_RETURN(TrainReport report, TrainClassifier(*model, data, options));
  (void)report;
  model->eval();
  return model;
}

absl::StatusOr<std::shared_ptr<Classifier>> TrainOrLoadBct(
    const Backbone& new_spec, Classifier& old_model, const std::vector<int64_t>& old_classes,
    double influence_weight, const LabeledImages& train, uint64_t seed, const CacheKey& cache,
    const std::string& config_path) {
  const int64_t old_dim = old_model.feature_dim();
  ASSIGN_OR_RETURN(const ModelConfig config, BctModelConfig(new_spec, old_dim, config_path));
  ASSIGN_OR_RETURN(std::shared_ptr<Classifier> model, InitialClassifier(config, seed, 1));
  if (model->feature_dim() != old_dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(config_path, ": BCT model has a ", model->feature_dim(),
                     "-d embedding, the old model ", old_dim, "-d"));
  }
  const std::string path = CachePath(cache);
  if (!path.empty() && CheckpointExists(path)) {
    RETURN_IF_ERROR(LoadInto(path, *model, "cached BCT model", "delete it to retrain"));
    model->eval();
    return model;
  }

  ASSIGN_OR_RETURN(TrainOptions options, ToTrainOptions(new_spec.train()));
  const LabeledImages data = BackboneTrainingData(new_spec, train, seed);
  BatchIteratorOptions batch_options;
  batch_options.batch_size = options.batch_size;
  batch_options.drop_last = options.drop_last;
  batch_options.seed = seed;
  BatchIterator batches(data, batch_options);
  const int64_t total_steps =
      options.steps > 0 ? options.steps : options.epochs * batches.batches_per_epoch();
  std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(*model, options.optimizer);
  ScheduleOptions schedule_options;
  schedule_options.kind = options.schedule;
  schedule_options.base_lr = options.optimizer.lr;
  schedule_options.min_lr = options.min_lr;
  schedule_options.warmup_steps = options.warmup_steps;
  schedule_options.total_steps = std::max<int64_t>(total_steps, 1);
  const LearningRateSchedule schedule(schedule_options);
  const auto ce =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options.label_smoothing);

  // The old classifier is frozen: no gradient reaches its weights.
  std::vector<torch::Tensor> old_params = old_model.parameters();
  std::vector<bool> old_requires(old_params.size());
  for (size_t i = 0; i < old_params.size(); ++i) {
    old_requires[i] = old_params[i].requires_grad();
    old_params[i].set_requires_grad(false);
  }
  old_model.eval();
  const torch::Tensor old_class_set =
      old_classes.empty() ? torch::Tensor() : torch::tensor(old_classes, torch::kInt64);

  model->train();
  ProgressMeter meter(absl::StrCat("backfill/", cache.name), total_steps, 0, options.log_every);
  double loss_value = 0;
  absl::Status status;
  for (int64_t step = 0; step < total_steps; ++step) {
    const Batch batch = batches.AtStep(step);
    torch::Generator generator = MakeGenerator(seed, kAugmentStream, step);
    const torch::Tensor images = Augment(batch.images, options.augment, generator);
    ApplyLearningRate(*optimizer, schedule.LearningRateAt(step));
    optimizer->zero_grad();
    const torch::Tensor features = model->features(images);
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        model->logits_from_features(features), batch.labels, ce);
    const torch::Tensor influenced =
        old_class_set.defined() ? torch::isin(batch.labels, old_class_set)
                                : torch::ones_like(batch.labels, torch::kBool);
    if (influenced.any().item<bool>()) {
      const torch::Tensor rows = influenced.nonzero().squeeze(1);
      loss = loss + influence_weight * torch::nn::functional::cross_entropy(
                                           old_model.logits_from_features(
                                               features.index_select(0, rows)),
                                           batch.labels.index_select(0, rows), ce);
    }
    loss_value = loss.item<double>();
    status = CheckLossFinite(loss_value, step);
    if (!status.ok()) break;
    loss.backward();
    if (options.clip_grad_norm > 0) {
      torch::nn::utils::clip_grad_norm_(model->parameters(), options.clip_grad_norm);
    }
    optimizer->step();
    meter.Update(step, loss_value, batch.labels.size(0));
  }
  meter.Finish();
  for (size_t i = 0; i < old_params.size(); ++i) old_params[i].set_requires_grad(old_requires[i]);
  RETURN_IF_ERROR(status);
  model->eval();
  if (!path.empty()) {
    CheckpointState state;
    state.step = total_steps;
    state.loss = loss_value;
    state.config_text = cache.text;
    RETURN_IF_ERROR(SaveCheckpoint(path, *model, nullptr, state));
  }
  return model;
}

absl::StatusOr<ReverseTransform> TrainOrLoadPsi(const Psi& spec, const EmbeddingPairs& data,
                                                bool normalize, uint64_t seed,
                                                const CacheKey& cache,
                                                const std::string& config_path) {
  RETURN_IF_ERROR(CheckPairs(data));
  const int64_t d_new = data.new_embeddings.size(1);
  const int64_t d_old = data.old_embeddings.size(1);
  ASSIGN_OR_RETURN(ReverseTransform psi,
                   InitialPsi(PsiOptions(spec, d_new, d_old, normalize), seed));
  if (!spec.checkpoint().empty()) {
    RETURN_IF_ERROR(LoadInto(spec.checkpoint(), *psi, "ψ",
                             absl::StrCat("ψ must map the new model's ", d_new,
                                          "-d embedding to the old model's ", d_old,
                                          "-d one (", config_path, ": psi.checkpoint)")));
    psi->eval();
    return psi;
  }
  const std::string path = CachePath(cache);
  if (!path.empty() && CheckpointExists(path)) {
    RETURN_IF_ERROR(LoadInto(path, *psi, "cached ψ", "delete it to retrain"));
    psi->eval();
    return psi;
  }
  torch::optim::Adam optimizer(psi->parameters(),
                               torch::optim::AdamOptions(spec.lr()).weight_decay(spec.weight_decay()));
  const int64_t n = data.new_embeddings.size(0);
  const int64_t batch = std::max<int64_t>(2, spec.batch_size());
  psi->train();
  double loss_value = 0;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < spec.epochs(); ++epoch) {
    const torch::Tensor order = EpochOrder(n, seed, epoch);
    for (int64_t start = 0; start + 2 <= n; start += batch) {
      const torch::Tensor rows = order.slice(0, start, std::min(start + batch, n));
      optimizer.zero_grad();
      const torch::Tensor loss = SquaredError(psi->forward(data.new_embeddings.index_select(0, rows)),
                                              data.old_embeddings.index_select(0, rows));
      loss_value = loss.item<double>();
      RETURN_IF_ERROR(CheckLossFinite(loss_value, step));
      loss.backward();
      optimizer.step();
      ++step;
    }
  }
  psi->eval();
  if (!path.empty()) {
    CheckpointState state;
    state.step = step;
    state.loss = loss_value;
    state.config_text = cache.text;
    RETURN_IF_ERROR(SaveCheckpoint(path, *psi, nullptr, state));
  }
  return psi;
}

absl::StatusOr<MclModels> TrainOrLoadMcl(const Mcl& spec, MclVariant variant,
                                         const NewEmbeddingSpec* rho_spec, ReverseTransform rt,
                                         const EmbeddingPairs& data, bool normalize,
                                         uint64_t seed, const CacheKey& cache) {
  RETURN_IF_ERROR(CheckPairs(data));
  MclModels out;
  out.psi = ReverseTransform(rt->options());
  CopyState(*rt, *out.psi);
  const int64_t d_new = data.new_embeddings.size(1);
  if (rho_spec != nullptr) {
    ASSIGN_OR_RETURN(out.rho, InitialRho(RhoOptions(*rho_spec, d_new, normalize), seed));
  }
  const std::string psi_path = CachePath(cache);
  const std::string rho_path =
      psi_path.empty() ? "" : CachePath({cache.dir, cache.name + "-rho", cache.text});
  if (!psi_path.empty() && CheckpointExists(psi_path) &&
      (rho_spec == nullptr || CheckpointExists(rho_path))) {
    RETURN_IF_ERROR(LoadInto(psi_path, *out.psi, "cached MCL ψ", "delete it to retrain"));
    if (rho_spec != nullptr) {
      RETURN_IF_ERROR(LoadInto(rho_path, *out.rho, "cached ρ", "delete it to retrain"));
      out.rho->eval();
    }
    out.psi->eval();
    return out;
  }

  std::vector<torch::Tensor> params = out.psi->parameters();
  if (rho_spec != nullptr) {
    for (const torch::Tensor& p : out.rho->parameters()) params.push_back(p);
    out.rho->train();
  }
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(spec.lr()));
  MclLossOptions loss_options;
  loss_options.temperature = spec.temperature();
  loss_options.variant = variant;
  const int64_t n = data.new_embeddings.size(0);
  const int64_t batch = std::max<int64_t>(2, spec.batch_size());
  out.psi->train();
  double loss_value = 0;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < spec.epochs(); ++epoch) {
    const torch::Tensor order = EpochOrder(n, MixSeed(seed, kShuffleStream, 1), epoch);
    for (int64_t start = 0; start + batch <= n; start += batch) {
      const torch::Tensor rows = order.slice(0, start, start + batch);
      const torch::Tensor a = data.new_embeddings.index_select(0, rows);
      const torch::Tensor o = data.old_embeddings.index_select(0, rows);
      const torch::Tensor y = data.labels.index_select(0, rows);
      optimizer.zero_grad();
      const torch::Tensor mapped = out.psi->forward(a);
      const torch::Tensor new_space = rho_spec != nullptr ? out.rho->forward(a) : a;
      const torch::Tensor loss =
          SquaredError(mapped, o) +
          spec.weight() * MclLoss(mapped, o, new_space, new_space, y, loss_options);
      loss_value = loss.item<double>();
      RETURN_IF_ERROR(CheckLossFinite(loss_value, step));
      loss.backward();
      optimizer.step();
      ++step;
    }
  }
  out.psi->eval();
  if (rho_spec != nullptr) out.rho->eval();
  if (!psi_path.empty()) {
    CheckpointState state;
    state.step = step;
    state.loss = loss_value;
    state.config_text = cache.text;
    RETURN_IF_ERROR(SaveCheckpoint(psi_path, *out.psi, nullptr, state));
    if (rho_spec != nullptr) RETURN_IF_ERROR(SaveCheckpoint(rho_path, *out.rho, nullptr, state));
  }
  return out;
}

}  // namespace repro::backfill
