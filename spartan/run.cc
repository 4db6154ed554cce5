// Config → training run, with the run cache (run.h).
#include "spartan/run.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/config/model_factory.h"
#include "common/config/train_options.h"
#include "common/models/resnet.h"
#include "common/port/logging.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "common/results/atomic_file.h"
#include "common/results/cache_path.h"
#include "common/results/text_config.h"
#include "common/train/seed.h"
#include "spartan/sparse_trainer.h"

namespace repro::spartan {

SparsityConfig Merged(const SparsityConfig& base, const SparsityConfig& override) {
  SparsityConfig merged = base;
  // Repeated fields are replaced, not appended, when the override sets them.
  if (override.layer_costs_size() > 0) merged.clear_layer_costs();
  if (override.module_prefixes_size() > 0) merged.clear_module_prefixes();
  merged.MergeFrom(override);
  return merged;
}

std::string MethodLabel(SparsityMethod method) {
  switch (method) {
    case DENSE:
      return "dense";
    case MAGNITUDE:
      return "magnitude pruning (GMP)";
    case DUAL_AVERAGING:
      return "dual averaging (Top-KAST-like)";
    case SPARTAN:
      return "Spartan";
    case RIGL:
      return "RigL (ERK)";
    default:
      return "?";
  }
}

absl::StatusOr<SparsifierOptions> ToSparsifierOptions(const SparsityConfig& c,
                                                      const std::string& path,
                                                      const std::string& field) {
  SparsifierOptions o;
  const auto error = [&](const std::string& sub, const std::string& what) {
    return ConfigError(path, absl::StrCat(field, ".", sub), what);
  };
  switch (c.method()) {
    case DENSE:
      o.method = Method::kDense;
      break;
    case MAGNITUDE:
      o.method = Method::kMagnitude;
      break;
    case DUAL_AVERAGING:
      o.method = Method::kDualAveraging;
      break;
    case SPARTAN:
      o.method = Method::kSpartan;
      break;
    case RIGL:
      o.method = Method::kRigL;
      break;
    default:
      return error("method", "is not set (DENSE, MAGNITUDE, DUAL_AVERAGING, SPARTAN or RIGL)");
  }
  if (c.has_target_sparsity()) o.target_sparsity = c.target_sparsity();
  if (c.method() != DENSE && !c.has_target_sparsity()) return error("target_sparsity", "is not set");
  if (c.has_target_sparsity() && !(c.target_sparsity() >= 0.0 && c.target_sparsity() < 1.0)) {
    return error("target_sparsity", absl::StrCat(c.target_sparsity(), " is outside [0, 1)"));
  }
  o.block_rows = c.has_block_rows() ? c.block_rows() : 1;
  o.block_cols = c.has_block_cols() ? c.block_cols() : 1;
  if (o.block_rows < 1 || o.block_cols < 1) return error("block_rows/block_cols", "must be >= 1");
  switch (c.cost_model()) {
    case COST_MODEL_UNSPECIFIED:
    case PARAMETERS:
      o.cost_model = CostModel::kParameters;
      break;
    case FLOPS:
      o.cost_model = CostModel::kFlops;
      break;
    case LAYER_COSTS:
      o.cost_model = CostModel::kLayerCosts;
      break;
    default:
      return error("cost_model", "is not a known cost model");
  }
  o.layer_costs.assign(c.layer_costs().begin(), c.layer_costs().end());
  if (!o.layer_costs.empty() && c.cost_model() != LAYER_COSTS) {
    return error("layer_costs", "is only used with cost_model: LAYER_COSTS");
  }
  o.adjust_for_unmasked = c.has_adjust_for_unmasked() ? c.adjust_for_unmasked() : true;
  o.module_prefixes.assign(c.module_prefixes().begin(), c.module_prefixes().end());
  if (c.has_warmup_frac()) o.warmup_frac = c.warmup_frac();
  if (c.has_finetune_frac()) o.finetune_frac = c.finetune_frac();
  if (!(o.warmup_frac >= 0 && o.finetune_frac >= 0 && o.warmup_frac + o.finetune_frac <= 1)) {
    return error("warmup_frac/finetune_frac", "must be >= 0 and add up to at most 1");
  }
  if (c.has_beta_init()) o.beta_init = c.beta_init();
  if (c.has_beta_final()) o.beta_final = c.beta_final();
  if (!(o.beta_init > 0 && o.beta_final > 0)) return error("beta_init/beta_final", "must be > 0");
  if (c.has_sinkhorn_max_iters()) o.sinkhorn_max_iters = c.sinkhorn_max_iters();
  if (c.has_sinkhorn_tol()) o.sinkhorn_tol = c.sinkhorn_tol();
  if (o.sinkhorn_max_iters < 1) return error("sinkhorn_max_iters", "must be >= 1");
  if (o.sinkhorn_tol < 0) return error("sinkhorn_tol", "must be >= 0");
  if (c.has_rigl_update_every()) o.rigl_update_every = c.rigl_update_every();
  if (c.has_rigl_drop_fraction()) o.rigl_drop_fraction = c.rigl_drop_fraction();
  if (o.rigl_update_every < 1) return error("rigl_update_every", "must be >= 1");
  if (!(o.rigl_drop_fraction >= 0 && o.rigl_drop_fraction < 1)) {
    return error("rigl_drop_fraction", "must be in [0, 1)");
  }
  return o;
}

absl::Status ValidateSetup(const Setup& setup, const std::string& path) {
  RETURN_IF_ERROR(ValidateModelConfig(setup.model(), path, "setup.model"));
  RETURN_IF_ERROR(ValidateTrainConfig(setup.train(), path, "setup.train"));
  if (setup.eval_batch_size() <= 0) {
    return ConfigError(path, "setup.eval_batch_size", "must be > 0");
  }
  if (!setup.resnet_strides().empty()) {
    if (!setup.model().has_resnet() ||
        setup.resnet_strides_size() != setup.model().resnet().widths_size()) {
      return ConfigError(path, "setup.resnet_strides", "needs a resnet model and one stride per width");
    }
    for (int64_t s : setup.resnet_strides()) {
      if (s < 1) return ConfigError(path, "setup.resnet_strides", "must be >= 1");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SparsityChecker> SparsityChecker::Create(const Setup& setup) {
  SparsityChecker checker;
  // One intra-op thread: building a paper-scale model is initialisation-bound, and a busy machine
  // makes OpenMP teams wait for each other.
  const int saved_threads = at::get_num_threads();
  at::set_num_threads(1);
  auto model = MakeSetupModel(setup);
  at::set_num_threads(saved_threads);
  if (!model.ok()) return model.status();
  checker.model_ = *std::move(model);
  return checker;
}

absl::Status SparsityChecker::Check(const SparsityConfig& sparsity, const std::string& path,
                                    const std::string& field) const {
  ASSIGN_OR_RETURN(SparsifierOptions options, ToSparsifierOptions(sparsity, path, field));
  // The FLOP factors need a forward pass, which training does; everything a config can get wrong
  // (layers, blocks, target) is checked the same way with the parameter-count cost.
  if (options.cost_model == CostModel::kFlops) options.cost_model = CostModel::kParameters;
  auto sparsifier = Sparsifier::Create(*model_, options);
  if (!sparsifier.ok()) return ConfigError(path, field, sparsifier.status().message());
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Classifier>> MakeSetupModel(const Setup& setup) {
  if (setup.resnet_strides().empty()) return MakeClassifier(setup.model());
  const ResNetConfig& r = setup.model().resnet();
  ResNetOptions options;
  options.in_channels(setup.model().in_channels())
      .num_classes(setup.model().num_classes())
      .widths({r.widths().begin(), r.widths().end()})
      .blocks_per_stage({r.blocks_per_stage().begin(), r.blocks_per_stage().end()})
      .strides({setup.resnet_strides().begin(), setup.resnet_strides().end()})
      .block(r.block() == "bottleneck" ? ResNetBlock::kBottleneck : ResNetBlock::kBasic)
      .stem(r.stem() == "imagenet" ? ResNetStem::kImageNet : ResNetStem::kCifar)
      .embedding_dim(r.embedding_dim())
      .zero_init_residual(r.zero_init_residual());
  return std::shared_ptr<Classifier>(ResNet(options).ptr());
}

absl::StatusOr<RunRecord> RunOnce(const RunRequest& request, const RunContext& context) {
  const Setup& setup = request.setup;
  const std::string key = absl::StrCat(
      "setup {", setup.ShortDebugString(), "} sparsity {", request.sparsity.ShortDebugString(),
      "} data {", context.data_key, "} seed ", request.seed);
  std::string path = CachedModelPath(context.cache_dir, "spartan", "run", key);
  if (absl::EndsWith(path, ".pt")) path.resize(path.size() - 3);
  path += ".record.pb";
  if (!context.cache_dir.empty()) {
    if (auto cached = ReadFile(path); cached.ok()) {
      RunRecord record;
      if (record.ParseFromString(*cached)) {
        LOG(INFO) << request.label << ": read back from the run cache (" << path << ")";
        return record;
      }
    }
  }
  ASSIGN_OR_RETURN(SparsifierOptions options,
                   ToSparsifierOptions(request.sparsity, "<run>", "sparsity"));
  std::shared_ptr<Classifier> model;
  {
    // Initialisation draws from LibTorch's global generator: one run at a time.
    static absl::Mutex init_mutex(absl::kConstInit);
    absl::MutexLock lock(&init_mutex);
    SeedEverything(request.seed);
    ASSIGN_OR_RETURN(model, MakeSetupModel(setup));
  }
  ASSIGN_OR_RETURN(TrainOptions train_options, ToTrainOptions(setup.train()));
  train_options.seed = request.seed;
  train_options.log_label = request.label;
  ASSIGN_OR_RETURN(SparseTrainResult r,
                   TrainSparse(*model, context.train, context.test, train_options, options,
                               setup.eval_batch_size()));
  RunRecord record;
  record.set_accuracy(100.0 * r.accuracy);
  record.set_total_params(r.sparsity.total_params);
  record.set_zero_params(r.sparsity.zero_params);
  record.set_masked_params(r.sparsity.masked_params);
  record.set_masked_nonzeros(r.sparsity.masked_nonzeros);
  record.set_budgeted_nonzeros(r.sparsity.budgeted_nonzeros);
  record.set_sparsity_all(r.sparsity.sparsity_all);
  record.set_sparsity_masked(r.sparsity.sparsity_masked);
  record.set_sparsity_from_masks(r.sparsity.sparsity_from_masks);
  record.set_target_sparsity(r.sparsity.target_sparsity);
  record.set_measured_for_target(r.sparsity.measured_for_target);
  record.set_target_granularity(r.sparsity.target_granularity);
  record.set_cost_fraction(r.sparsity.cost_fraction);
  record.set_flop_fraction(r.sparsity.flop_fraction);
  for (int64_t f : r.flips) record.add_flips(f);
  record.set_steps(r.steps);
  record.set_freeze_step(r.freeze_step);
  record.set_ramp_end_step(r.ramp_end_step);
  record.set_train_seconds(r.train_seconds);
  record.set_sparsifier_seconds(r.sparsifier_seconds);
  record.set_samples_per_second(r.samples_per_second);
  record.set_sinkhorn_iterations(r.sinkhorn_iterations);
  record.set_mask_entries(r.mask_entries);
  for (size_t l = 0; l < r.layer_names.size(); ++l) {
    record.add_layer_names(r.layer_names[l]);
    record.add_layer_weights(r.layer_weights[l]);
    record.add_layer_kept(r.layer_kept[l]);
  }
  LOG(INFO) << request.label << ": top-1 " << absl::StrFormat("%.2f", record.accuracy())
            << "%, sparsity " << absl::StrFormat("%.4f", record.sparsity_from_masks())
            << " (mask zeros over all parameters), " << absl::StrFormat("%.1f", r.train_seconds) << " s, "
            << absl::StrFormat("%.0f", r.samples_per_second) << " samples/s";
  if (!context.cache_dir.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(path, record.SerializeAsString()));
  }
  return record;
}

absl::StatusOr<std::vector<RunRecord>> RunAll(const std::vector<RunRequest>& requests,
                                              const RunContext& context) {
  const int saved_threads = at::get_num_threads();
  const int workers = static_cast<int>(std::max<size_t>(
      1, std::min<size_t>(requests.size(),
                          context.threads > 0 ? context.threads : HardwareThreads())));
  at::set_num_threads(1);
  std::vector<absl::StatusOr<RunRecord>> results(requests.size(),
                                                 absl::UnknownError("run did not start"));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const auto work = [&] {
    at::set_num_threads(1);  // this thread's OpenMP team size
    while (!failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= requests.size()) break;
      try {
        results[i] = RunOnce(requests[i], context);
      } catch (const std::exception& e) {
        results[i] = absl::InternalError(absl::StrCat(requests[i].label, ": ", e.what()));
      }
      if (!results[i].ok()) failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  at::set_num_threads(saved_threads);
  std::vector<RunRecord> records;
  for (auto& r : results) {
    if (!r.ok()) return r.status();
    records.push_back(*std::move(r));
  }
  return records;
}

}  // namespace repro::spartan
