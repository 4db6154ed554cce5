#include "mvformer/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/data/fashion_mnist.h"
#include "common/data/video/frame_folder.h"
#include "common/data/video/sprite_phase.h"
#include "common/port/logging.h"
#include "common/port/status_macros.h"
#include "common/results/atomic_file.h"
#include "common/results/cache_path.h"
#include "common/results/text_config.h"
#include "common/train/checkpoint.h"
#include "common/train/seed.h"
#include "experiments/experiment.h"
#include "mvformer/backbone.h"
#include "mvformer/evaluate.h"

namespace repro::mvformer {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ------------------------------------------------------------------------------------------------
// Config checks.

absl::Status CheckModel(const ModelConfig& m, const std::string& path, const std::string& field) {
  auto error = [&](const std::string& name, const std::string& problem) {
    return ConfigError(path, absl::StrCat(field, ".", name), problem);
  };
  if (!m.has_front_end() || m.front_end() == ModelConfig::FRONT_END_UNSPECIFIED) return error("front_end", "is not set");
  if (!m.has_entities() || m.entities() < 1) return error("entities", "must be set and >= 1");
  const bool late = m.front_end() == ModelConfig::LATE_CLS || m.front_end() == ModelConfig::LATE_AVG ||
                    m.front_end() == ModelConfig::LATE_MAX;
  if (late && m.entities() != 1) return error("entities", "must be 1 for late fusion (one vector per frame)");
  if (!m.has_layers() || m.layers() == ModelConfig::LAYERS_UNSPECIFIED) return error("layers", "is not set");
  if (!m.has_read_out() || m.read_out() == ModelConfig::READ_OUT_UNSPECIFIED) return error("read_out", "is not set");
  for (const auto& [name, has, value] :
       std::vector<std::tuple<std::string, bool, int64_t>>{{"pool_dim", m.has_pool_dim(), m.pool_dim()},
                                                           {"fc_dim", m.has_fc_dim(), m.fc_dim()},
                                                           {"hidden_dim", m.has_hidden_dim(), m.hidden_dim()},
                                                           {"encoder_layers", m.has_encoder_layers(), m.encoder_layers()},
                                                           {"heads", m.has_heads(), m.heads()},
                                                           {"ff_dim", m.has_ff_dim(), m.ff_dim()},
                                                           {"embedding_dim", m.has_embedding_dim(), m.embedding_dim()},
                                                           {"projection_dim", m.has_projection_dim(), m.projection_dim()}}) {
    if (!has || value <= 0) return error(name, "must be set and > 0");
  }
  if (m.hidden_dim() % m.heads() != 0) return error("heads", "must divide hidden_dim");
  if (!m.has_position_dims() || m.position_dims() < 0 || m.position_dims() % 4 != 0) {
    return error("position_dims", "must be set, >= 0 and a multiple of 4");
  }
  if (!m.has_dropout() || m.dropout() < 0 || m.dropout() >= 1) return error("dropout", "must be set and in [0, 1)");
  return absl::OkStatus();
}

absl::Status CheckConfig(const MvformerConfig& c, const std::string& path, TableKind kind) {
  RETURN_IF_ERROR(ValidateExperiment(c.experiment(), path));
  const VideoDataConfig& data = c.data();
  if (data.source() == VideoDataConfig::SOURCE_UNSPECIFIED) return ConfigError(path, "data.source", "is not set");
  if (data.source() == VideoDataConfig::SPRITE_PHASE) {
    if (data.actions().empty()) return ConfigError(path, "data.actions", "needs at least one action");
    for (const std::string& action : data.actions()) {
      if (SpritePhaseNumPhases(action) == 0) {
        return ConfigError(path, "data.actions", absl::StrCat("has unknown action '", action, "' (fetch, push, orbit)"));
      }
    }
    if (data.train_per_action() < 1 || data.val_per_action() < 2) {
      return ConfigError(path, "data.train_per_action/val_per_action", "need >= 1 train and >= 2 val videos per action");
    }
    if (data.max_distractors() < 0) return ConfigError(path, "data.max_distractors", "must be >= 0");
    if (data.timing() == VideoDataConfig::TIMING_UNSPECIFIED) {
      return ConfigError(path, "data.timing", "is not set (RANDOM_DURATIONS or SPEC_SPEEDS)");
    }
    if (c.variants().empty()) return ConfigError(path, "variants", "needs RELATIONAL and/or CONTROL");
    std::set<int> seen;
    for (int v : c.variants()) {
      if (v == VARIANT_UNSPECIFIED || !seen.insert(v).second) {
        return ConfigError(path, "variants", "must list RELATIONAL/CONTROL, each once");
      }
    }
  } else {
    if (!c.variants().empty()) return ConfigError(path, "variants", "apply to SPRITE_PHASE data only");
    if (data.frame_size() < 0 || data.max_videos_per_action() < 0) {
      return ConfigError(path, "data.frame_size/max_videos_per_action", "must be >= 0");
    }
  }
  const BackboneConfig& b = c.backbone();
  if (b.kind() == BackboneConfig::KIND_UNSPECIFIED) return ConfigError(path, "backbone.kind", "is not set");
  if (b.kind() == BackboneConfig::SPRITE_CNN) {
    if (b.train_epochs() < 1 || b.batch_size() < 1 || b.lr() <= 0 || b.max_train_images() < 0) {
      return ConfigError(path, "backbone", "SPRITE_CNN needs train_epochs >= 1, batch_size >= 1, lr > 0");
    }
    if (data.color() || (data.source() == VideoDataConfig::FRAME_FOLDERS && data.frame_size() != 64)) {
      return ConfigError(path, "backbone.kind", "SPRITE_CNN reads grey 64x64 frames (color false, frame_size 64)");
    }
  } else if (b.weights().empty()) {
    return ConfigError(path, "backbone.weights", "DINO_VIT_B8 needs the path of its converted weights");
  }
  if (b.augmented_copies() < 0 || b.max_shift() < 0 || b.contrast_jitter() < 0 || b.brightness_jitter() < 0 ||
      b.chunk_frames() < 1) {
    return ConfigError(path, "backbone", "augmentation settings must be >= 0 and chunk_frames >= 1");
  }
  RETURN_IF_ERROR(CheckModel(c.base_model(), path, "base_model"));
  const TrainConfig& t = c.train();
  if (t.steps() < 1 || t.batch_videos() < 1 || t.num_frames() < 2 || t.lr() <= 0 || t.weight_decay() < 0 ||
      t.clip_grad_norm() < 0 || t.sampling_region() < 1 || t.temperature() <= 0 || t.label_variance() <= 0 ||
      t.log_every() < 0) {
    return ConfigError(path, "train", "needs steps, batch_videos >= 1, num_frames >= 2, lr, temperature, "
                                      "label_variance > 0, sampling_region >= 1, the rest >= 0");
  }
  const EvalConfig& e = c.eval();
  if (e.tau_stride() < 1 || e.retrieval_stride() < 1 || e.ks().empty() || e.train_fraction() <= 0 ||
      e.train_fraction() > 1 || e.logistic_c() <= 0 || e.embed_batch_videos() < 1) {
    return ConfigError(path, "eval", "needs strides >= 1, ks, train_fraction in (0, 1], logistic_c > 0, "
                                     "embed_batch_videos >= 1");
  }
  for (int k : e.ks()) {
    if (k < 1) return ConfigError(path, "eval.ks", "must be >= 1");
  }
  if (c.rows().empty()) return ConfigError(path, "rows", "needs at least one row");
  std::set<std::string> labels;
  for (int i = 0; i < c.rows_size(); ++i) {
    const std::string field = absl::StrCat("rows[", i, "]");
    if (c.rows(i).label().empty() || !labels.insert(c.rows(i).label()).second) {
      return ConfigError(path, field + ".label", "must be non-empty and unique");
    }
    RETURN_IF_ERROR(CheckModel(ResolveModel(c.base_model(), c.rows(i).model()), path, field + ".model"));
  }
  std::set<std::string> ids;
  const std::set<std::string> metric_ids(MetricIds().begin(), MetricIds().end());
  for (int i = 0; i < c.claims_size(); ++i) {
    const ClaimConfig& claim = c.claims(i);
    const std::string field = absl::StrCat("claims[", i, "]");
    if (claim.id().empty() || !ids.insert(claim.id()).second) return ConfigError(path, field + ".id", "must be non-empty and unique");
    if (claim.text().empty()) return ConfigError(path, field + ".text", "is empty");
    if (claim.kind() == ClaimConfig::KIND_UNSPECIFIED) return ConfigError(path, field + ".kind", "is not set");
    if (!labels.count(claim.row())) return ConfigError(path, field + ".row", absl::StrCat("'", claim.row(), "' is not a row"));
    if (claim.kind() == ClaimConfig::ATTENTION_ABOVE_UNIFORM) {
      if (kind != TableKind::kAttention) return ConfigError(path, field + ".kind", "ATTENTION_ABOVE_UNIFORM is for the attention table");
      if (claim.min_ratio() <= 0) return ConfigError(path, field + ".min_ratio", "must be > 0");
      continue;
    }
    if (claim.others().empty() || claim.metrics().empty()) {
      return ConfigError(path, field, "needs `others` and `metrics`");
    }
    for (const std::string& other : claim.others()) {
      if (!labels.count(other)) return ConfigError(path, field + ".others", absl::StrCat("'", other, "' is not a row"));
    }
    for (const std::string& metric : claim.metrics()) {
      if (!metric_ids.count(metric)) {
        return ConfigError(path, field + ".metrics", absl::StrCat("unknown metric '", metric, "' (",
                                                                   absl::StrJoin(MetricIds(), ", "), ")"));
      }
    }
    auto known_variant = [&](int v) {
      return c.variants().empty() ? v == VARIANT_UNSPECIFIED
                                  : std::find(c.variants().begin(), c.variants().end(), v) != c.variants().end();
    };
    if (!known_variant(claim.variant())) return ConfigError(path, field + ".variant", "is not one of the table's variants");
    if (claim.kind() == ClaimConfig::GAIN_LARGER_ON &&
        (!known_variant(claim.versus_variant()) || claim.versus_variant() == claim.variant())) {
      return ConfigError(path, field + ".versus_variant", "must be another of the table's variants");
    }
  }
  if (kind == TableKind::kAttention) {
    if (!labels.count(c.attention().row())) return ConfigError(path, "attention.row", "must name a row");
    for (const RowConfig& row : c.rows()) {
      if (row.label() == c.attention().row() &&
          ResolveModel(c.base_model(), row.model()).front_end() != ModelConfig::LSTP) {
        return ConfigError(path, "attention.row", "must be an LSTP row");
      }
    }
    if (c.attention().picture_frames() < 1) return ConfigError(path, "attention.picture_frames", "must be >= 1");
  }
  for (int i = 0; i < c.reported_size(); ++i) {
    for (const ReportedRow& row : c.reported(i).rows()) {
      if (row.cells_size() != c.reported(i).columns_size()) {
        return ConfigError(path, absl::StrCat("reported[", i, "]"), "every row needs one cell per column");
      }
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------------------------
// Process-wide caches: the three tables of one `reproduce` run share data, backbone and features.

struct ProcessCache {
  std::string fmnist_dir;
  std::shared_ptr<const FashionMnist> fmnist;
  std::string backbone_key;
  std::shared_ptr<FrameBackbone> backbone;
  std::string backbone_note;
  std::string data_key;  // one variant's data and features at a time (they are the big part)
  Prepared prepared;
};

ProcessCache& Cache() {
  static ProcessCache* cache = new ProcessCache;
  return *cache;
}

absl::StatusOr<std::shared_ptr<const FashionMnist>> Fmnist(const std::string& dir) {
  ProcessCache& cache = Cache();
  if (cache.fmnist == nullptr || cache.fmnist_dir != dir) {
    ASSIGN_OR_RETURN(FashionMnist data, LoadFashionMnist(dir));
    cache.fmnist = std::make_shared<const FashionMnist>(std::move(data));
    cache.fmnist_dir = dir;
  }
  return cache.fmnist;
}

std::string BackboneKey(const BackboneConfig& b) {
  BackboneConfig key;
  key.set_kind(b.kind());
  key.set_train_epochs(b.train_epochs());
  key.set_batch_size(b.batch_size());
  key.set_lr(b.lr());
  key.set_max_train_images(b.max_train_images());
  key.set_seed(b.seed());
  key.set_weights(b.weights());
  return absl::StrCat("mvformer backbone v2\n", key.DebugString());
}

std::string Slug(const std::string& text) {
  std::string out;
  for (char ch : absl::AsciiStrToLower(text)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(ch))) {
      out += ch;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

MvFormerOptions ModelOptions(const ModelConfig& m, const FeatureBank& bank, const ChannelRange& channels) {
  static const FrontEnd kFrontEnds[] = {FrontEnd::kLstp, FrontEnd::kLstp, FrontEnd::kLateCls,
                                        FrontEnd::kLateAvg, FrontEnd::kLateMax, FrontEnd::kFwb};
  return MvFormerOptions(kFrontEnds[m.front_end()])
      .entities(m.entities())
      .token_channels(channels.size())
      .cls_channels(bank.cls_channels)
      .grid_height(bank.grid_height)
      .grid_width(bank.grid_width)
      .position_dims(m.position_dims())
      .pool_dim(m.pool_dim())
      .fc_dim(m.fc_dim())
      .hidden_dim(m.hidden_dim())
      .encoder_layers(m.encoder_layers())
      .heads(m.heads())
      .ff_dim(m.ff_dim())
      .dropout(m.dropout())
      .read_out(m.read_out() == ModelConfig::AVG ? ReadOut::kAvg : ReadOut::kOne)
      .embedding_dim(m.embedding_dim())
      .projection_dim(m.projection_dim());
}

}  // namespace

absl::StatusOr<MvformerConfig> ParseMvformerConfig(const std::string& text, const std::string& path,
                                                   TableKind kind) {
  MvformerConfig config;
  RETURN_IF_ERROR(ParseTextConfig(text, path, &config));
  RETURN_IF_ERROR(CheckConfig(config, path, kind));
  return config;
}

ModelConfig ResolveModel(const ModelConfig& base, const ModelConfig& row) {
  ModelConfig model = base;
  model.MergeFrom(row);  // proto3 `optional`: only the fields the row sets
  return model;
}

std::string VariantTag(Variant variant) {
  switch (variant) {
    case RELATIONAL:
      return "R1";
    case CONTROL:
      return "C0";
    default:
      return "";
  }
}

const std::vector<std::string>& MetricIds() {
  static const std::vector<std::string> ids = {"classification", "progression", "kendall_tau",
                                               "p@5", "p@10", "p@15"};
  return ids;
}

std::string MetricTitle(const std::string& id) {
  if (id == "classification") return "class. (%)";
  if (id == "progression") return "progress (R²)";
  if (id == "kendall_tau") return "τ";
  return absl::StrCat("P@", id.substr(2), " (%)");
}

double MetricValue(const VideoMetrics& metrics, const std::string& id, const std::vector<int>& ks) {
  if (id == "classification") return 100.0 * metrics.classification;
  if (id == "progression") return metrics.progression;
  if (id == "kendall_tau") return metrics.kendall_tau;
  int k = 0;
  CHECK(absl::SimpleAtoi(id.substr(2), &k)) << "unknown metric " << id;
  for (size_t i = 0; i < ks.size(); ++i) {
    if (ks[i] == k) return 100.0 * metrics.precision_at_k[i];
  }
  return std::nan("");
}

Workspace::Workspace(MvformerConfig config, TableRun run) : config_(std::move(config)), run_(std::move(run)) {}

absl::Status Workspace::EnsureBackbone() {
  if (backbone_ != nullptr) return absl::OkStatus();
  ProcessCache& cache = Cache();
  const BackboneConfig& b = config_.backbone();
  const std::string key = BackboneKey(b);
  if (cache.backbone == nullptr || cache.backbone_key != key) {
    if (b.kind() == BackboneConfig::DINO_VIT_B8) {
      // A relative weights path is relative to --data_dir.
      const std::string weights = b.weights().front() == '/' ? b.weights() : absl::StrCat(run_.data_dir, "/", b.weights());
      ASSIGN_OR_RETURN(std::unique_ptr<FrameBackbone> vit, LoadDinoVitB8Backbone(weights, {3, 7, 11}));
      cache.backbone = std::move(vit);
      cache.backbone_note = "backbone: DINO ViT-B/8 (blocks 3, 7, 11), frozen";
    } else {
      ASSIGN_OR_RETURN(std::shared_ptr<const FashionMnist> fmnist, Fmnist(run_.fashion_mnist_dir));
      SpriteCnnTraining training;
      training.epochs = b.train_epochs();
      training.batch_size = b.batch_size();
      training.lr = b.lr();
      training.max_train_images = b.max_train_images();
      training.seed = b.seed();
      training.checkpoint_path = CachedModelPath(run_.cache_dir, "mvformer", "sprite_cnn", key);
      training.config_text = key;
      training.log_every = config_.train().log_every() > 0 ? 100 : 0;
      SpriteCnn cnn;
      ASSIGN_OR_RETURN(const SpriteCnnReport report, TrainSpriteCnn(cnn, *fmnist, training));
      cache.backbone = MakeSpriteCnnBackbone(cnn, kSpritePhaseCanvas / 8);
      cache.backbone_note = absl::StrFormat(
          "backbone: SpriteCnn stand-in, %s; test accuracy %.1f%% on sprite-rendered Fashion-MNIST; frozen",
          report.loaded_from_cache ? "loaded from the model cache"
                                   : absl::StrFormat("trained in %.0f s", report.train_seconds),
          100.0 * report.test_accuracy);
    }
    cache.backbone_key = key;
  }
  backbone_ = cache.backbone;
  backbone_note_ = cache.backbone_note;
  return absl::OkStatus();
}

absl::StatusOr<Prepared> Workspace::Prepare(Variant variant, bool need_augmented) {
  RETURN_IF_ERROR(EnsureBackbone());
  ProcessCache& cache = Cache();
  const BackboneConfig& b = config_.backbone();
  FeatureOptions features;
  features.augmented_copies = b.augmented_copies();
  features.augment.max_shift = b.max_shift();
  features.augment.contrast_jitter = static_cast<float>(b.contrast_jitter());
  features.augment.brightness_jitter = static_cast<float>(b.brightness_jitter());
  features.seed = config_.data().data_seed();
  features.chunk_frames = b.chunk_frames();
  const std::string key = absl::StrCat(BackboneKey(b), config_.data().DebugString(), "variant ", variant,
                                       "\ncopies ", features.augmented_copies, " shift ", features.augment.max_shift,
                                       " contrast ", features.augment.contrast_jitter, " brightness ",
                                       features.augment.brightness_jitter, "\n");
  if (cache.data_key != key) {
    cache.prepared = Prepared();  // free the previous variant first
    cache.data_key.clear();
    const auto start = Clock::now();
    const VideoDataConfig& d = config_.data();
    VideoDataset data;
    if (d.source() == VideoDataConfig::SPRITE_PHASE) {
      ASSIGN_OR_RETURN(std::shared_ptr<const FashionMnist> fmnist, Fmnist(run_.fashion_mnist_dir));
      SpritePhaseOptions options;
      options.variant = variant == CONTROL ? SpritePhaseVariant::kControl : SpritePhaseVariant::kRelational;
      options.actions.assign(d.actions().begin(), d.actions().end());
      options.train_per_action = d.train_per_action();
      options.val_per_action = d.val_per_action();
      options.max_distractors = d.max_distractors();
      options.seed = d.data_seed();
      options.random_phase_durations = d.timing() == VideoDataConfig::RANDOM_DURATIONS;
      ASSIGN_OR_RETURN(data, GenerateSpritePhase(options, fmnist->train, fmnist->test));
    } else {
      FrameFolderOptions options;
      options.grayscale = !d.color();
      options.height = options.width = d.frame_size();
      options.max_videos_per_action = d.max_videos_per_action();
      ASSIGN_OR_RETURN(data, ReadFrameFolderDataset(DataPath(config_.experiment().data(), run_), options));
    }
    cache.prepared.data = std::make_shared<const VideoDataset>(std::move(data));
    cache.prepared.bank = std::make_shared<FeatureBank>(ExtractFeatureBank(*backbone_, *cache.prepared.data, features));
    cache.data_key = key;
    feature_seconds_ += SecondsSince(start);
  }
  if (need_augmented && !cache.prepared.augmented) {
    const auto start = Clock::now();
    AddAugmentedCopies(*backbone_, *cache.prepared.data, features, cache.prepared.bank.get());
    cache.prepared.augmented = true;
    feature_seconds_ += SecondsSince(start);
  }
  return cache.prepared;
}

struct Workspace::Job {
  std::string label;
  Variant variant = VARIANT_UNSPECIFIED;
  uint64_t seed = 0;
  std::string key;
  std::string path;
  RowResult result;
  absl::Status status;
};

absl::StatusOr<Workspace::Job> Workspace::PrepareJob(Variant variant, const RowConfig& row, uint64_t seed,
                                                     const Prepared& prepared) {
  const ModelConfig m = ResolveModel(config_.base_model(), row.model());
  Job job;
  job.label = absl::StrCat(VariantTag(variant).empty() ? "" : VariantTag(variant) + " ", row.label());
  job.variant = variant;
  job.seed = seed;
  RowResult& result = job.result;
  result.channels = m.layers() == ModelConfig::LAST_LAYER ? LastLayer(*prepared.bank) : AllLayers(*prepared.bank);
  // Model initialisation draws from the default generator: done here, on the calling thread.
  SeedEverything(seed);
  result.model = MvFormer(ModelOptions(m, *prepared.bank, result.channels));
  job.key = absl::StrCat("mvformer model v1\n", BackboneKey(config_.backbone()), config_.data().DebugString(),
                         "variant ", variant, "\n", config_.backbone().DebugString(), m.DebugString(),
                         config_.train().DebugString(), "seed ", seed, "\n");
  job.path = CachedModelPath(run_.cache_dir, "mvformer", Slug(job.label), job.key);
  if (CheckpointExists(job.path)) {
    MvFormer cached(ModelOptions(m, *prepared.bank, result.channels));
    ASSIGN_OR_RETURN(const CheckpointState state, LoadCheckpoint(job.path, *cached, /*optimizer=*/nullptr));
    result.cached = state.step == config_.train().steps() && state.config_text == job.key;
    if (result.cached) {
      result.model = cached;
      if (auto speed = ReadFile(job.path + ".speed"); speed.ok()) {
        (void)absl::SimpleAtod(absl::StripAsciiWhitespace(*speed), &result.frames_per_second);
      }
    }
  }
  return job;
}

absl::Status Workspace::Execute(Job& job, const Prepared& prepared, bool evaluate) {
  RowResult& result = job.result;
  const TrainConfig& t = config_.train();
  if (!result.cached) {
    MvFormerTrainOptions options;
    options.steps = t.steps();
    options.batch_videos = t.batch_videos();
    options.num_frames = t.num_frames();
    options.lr = t.lr();
    options.weight_decay = t.weight_decay();
    options.clip_grad_norm = t.clip_grad_norm();
    options.sampling_region = t.sampling_region();
    options.loss.temperature = t.temperature();
    options.loss.label_variance = t.label_variance();
    options.seed = job.seed;
    options.log_every = t.log_every();
    options.log_label = absl::StrCat("mvformer ", job.label, " seed ", job.seed, " (frames)");
    ASSIGN_OR_RETURN(const MvFormerTrainReport report,
                     TrainMvFormer(result.model, *prepared.bank, result.channels, options));
    result.frames_per_second = report.frames_per_second;
    result.train_seconds = report.wall_seconds;
    RETURN_IF_ERROR(SaveCheckpoint(job.path, *result.model, nullptr, {t.steps(), report.final_loss, job.key}));
    RETURN_IF_ERROR(WriteFileAtomically(job.path + ".speed", absl::StrCat(report.frames_per_second, "\n")));
  }
  if (evaluate) {
    const auto start = Clock::now();
    VideoMetricsOptions metrics;
    metrics.train_fraction = config_.eval().train_fraction();
    metrics.tau_stride = config_.eval().tau_stride();
    metrics.retrieval_stride = config_.eval().retrieval_stride();
    metrics.ks.assign(config_.eval().ks().begin(), config_.eval().ks().end());
    metrics.classifier.c = config_.eval().logistic_c();
    result.metrics = EvaluateModel(result.model, *prepared.bank, *prepared.data, result.channels, t.num_frames(),
                                   config_.eval().embed_batch_videos(), metrics);
    result.eval_seconds = SecondsSince(start);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RowResult>> Workspace::RunMany(
    Variant variant, const std::vector<std::pair<const RowConfig*, uint64_t>>& requests, bool evaluate) {
  ASSIGN_OR_RETURN(Prepared prepared, Prepare(variant, /*need_augmented=*/false));
  std::vector<Job> jobs;
  bool any_training = false;
  for (const auto& [row, seed] : requests) {
    ASSIGN_OR_RETURN(Job job, PrepareJob(variant, *row, seed, prepared));
    any_training = any_training || !job.result.cached;
    jobs.push_back(std::move(job));
  }
  if (any_training) {
    ASSIGN_OR_RETURN(prepared, Prepare(variant, /*need_augmented=*/true));
  }
  const int saved_threads = at::get_num_threads();
  workers_ = std::max(1, std::min(static_cast<int>(jobs.size()), run_.threads > 0 ? run_.threads : saved_threads));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const auto work = [&] {
    at::set_num_threads(1);  // this thread's OpenMP team
    while (!failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= jobs.size()) break;
      try {
        jobs[i].status = Execute(jobs[i], prepared, evaluate);
      } catch (const std::exception& e) {
        jobs[i].status = absl::InternalError(absl::StrCat(jobs[i].label, " seed ", jobs[i].seed, ": ", e.what()));
      }
      if (!jobs[i].status.ok()) failed = true;
    }
  };
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 1; w < workers_; ++w) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  at::set_num_threads(saved_threads);
  const double wall = SecondsSince(start);
  std::vector<RowResult> results;
  bool trained_here = false;
  for (Job& job : jobs) {
    RETURN_IF_ERROR(job.status);
    if (job.result.cached) {
      ++cached_;
    } else {
      ++trained_;
      trained_here = true;
      train_seconds_ += job.result.train_seconds;
      trained_frames_ += static_cast<int64_t>(config_.train().steps()) * 2 * config_.train().batch_videos() *
                         config_.train().num_frames();
    }
    eval_seconds_ += job.result.eval_seconds;
    if (job.result.frames_per_second > 0) frames_per_second_.push_back(job.result.frames_per_second);
    results.push_back(std::move(job.result));
  }
  if (trained_here) training_wall_seconds_ += wall;
  return results;
}

absl::StatusOr<RowResult> Workspace::Run(Variant variant, const RowConfig& row, uint64_t seed, bool evaluate) {
  ASSIGN_OR_RETURN(std::vector<RowResult> results, RunMany(variant, {{&row, seed}}, evaluate));
  return std::move(results.front());
}

std::vector<std::string> Workspace::Notes() const {
  std::vector<std::string> notes;
  if (!backbone_note_.empty()) notes.push_back(backbone_note_);
  notes.push_back(absl::StrFormat(
      "time: features %.1f s (backbone once per video and augmented copy); %d models trained here "
      "(%d at a time, one thread each; %.1f s of wall time, %.1f s summed over runs), %d loaded from the "
      "model cache; evaluation %.1f s summed over models (each video embedded once per model)",
      feature_seconds_, trained_, workers_, training_wall_seconds_, train_seconds_, cached_, eval_seconds_));
  if (!frames_per_second_.empty()) {
    double fps = 0;
    for (double f : frames_per_second_) fps += f / static_cast<double>(frames_per_second_.size());
    std::string line = absl::StrFormat(
        "training speed: %.0f frames/s per run (one thread; mean over %d runs, 2 views x batch x T frames "
        "through the temporal model per step)", fps, frames_per_second_.size());
    if (trained_ > 0 && training_wall_seconds_ > 0) {
      absl::StrAppendFormat(&line, "; %.0f frames/s for the whole training phase on %d threads",
                            static_cast<double>(trained_frames_) / training_wall_seconds_, workers_);
    }
    notes.push_back(line);
  }
  return notes;
}

}  // namespace repro::mvformer
