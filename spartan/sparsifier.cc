// The sparsifier (sparsifier.h): masked-layer discovery, budgets, the per-step mask updates of
// every method, RigL's drop/grow, freezing and finalization.
#include "spartan/sparsifier.h"

#include <chrono>
#include <limits>
#include <cmath>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "common/kernels/soft_topk.h"
#include "spartan/allocation.h"
#include "spartan/flop_count.h"

namespace repro::spartan {

struct Sparsifier::Layer {
  std::string name;
  std::shared_ptr<torch::nn::Module> module;  // keeps `member` alive
  torch::Tensor* member = nullptr;            // the module's weight as its forward reads it
  torch::Tensor weight;                       // the registered parameter W
  std::vector<int64_t> shape;
  int64_t out = 0, in = 0, rest = 1;  // shape[0], shape[1], the remaining (kernel) positions
  int64_t entries = 0;                // (out / b_h) · (in / b_w) · rest
  int64_t offset = 0;                 // first entry in the global entry vector
  double flops_per_weight = 1.0;
  double cost_per_entry = 1.0;
};

const char* MethodName(Method method) {
  switch (method) {
    case Method::kDense:
      return "dense";
    case Method::kMagnitude:
      return "magnitude pruning (GMP)";
    case Method::kDualAveraging:
      return "dual averaging (Top-KAST-like)";
    case Method::kSpartan:
      return "Spartan";
    case Method::kRigL:
      return "RigL (ERK)";
  }
  return "?";
}

namespace {

SparsityScheduleOptions ScheduleOptionsOf(const SparsifierOptions& o) {
  SparsityScheduleOptions s;
  s.total_steps = o.total_steps;
  s.warmup_frac = o.warmup_frac;
  s.finetune_frac = o.finetune_frac;
  s.beta_init = o.beta_init;
  s.beta_final = o.beta_final;
  s.block_size = o.block_rows * o.block_cols;
  return s;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::Status CheckOptions(const SparsifierOptions& o) {
  if (!(o.target_sparsity >= 0.0 && o.target_sparsity < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("target sparsity ", o.target_sparsity, " is outside [0, 1)"));
  }
  if (o.block_rows < 1 || o.block_cols < 1) {
    return absl::InvalidArgumentError(absl::StrCat("block shape ", o.block_rows, "x",
                                                   o.block_cols, " must be at least 1x1"));
  }
  if (o.total_steps < 1) return absl::InvalidArgumentError("total_steps must be >= 1");
  if (!(o.warmup_frac >= 0.0 && o.finetune_frac >= 0.0 && o.warmup_frac + o.finetune_frac <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "warmup_frac (", o.warmup_frac, ") and finetune_frac (", o.finetune_frac,
        ") must be >= 0 and add up to at most 1"));
  }
  if (o.method == Method::kSpartan &&
      !(o.beta_init > 0.0 && o.beta_final > 0.0 && o.sinkhorn_max_iters >= 1 &&
        o.sinkhorn_tol >= 0.0)) {
    return absl::InvalidArgumentError(
        "Spartan needs beta_init > 0, beta_final > 0, sinkhorn_max_iters >= 1, sinkhorn_tol >= 0");
  }
  if (o.method == Method::kRigL) {
    if (o.block_rows * o.block_cols != 1 || o.cost_model != CostModel::kParameters) {
      return absl::InvalidArgumentError(
          "RigL is implemented for unstructured sparsity with the parameter-count cost only");
    }
    if (o.rigl_update_every < 1 || !(o.rigl_drop_fraction >= 0.0 && o.rigl_drop_fraction < 1.0)) {
      return absl::InvalidArgumentError(
          "RigL needs rigl_update_every >= 1 and rigl_drop_fraction in [0, 1)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

Sparsifier::Sparsifier(torch::nn::Module& model, const SparsifierOptions& options)
    : model_(&model), options_(options), schedule_(ScheduleOptionsOf(options)) {}

Sparsifier::~Sparsifier() = default;

absl::StatusOr<std::unique_ptr<Sparsifier>> Sparsifier::Create(
    torch::nn::Module& model, const SparsifierOptions& options,
    const std::function<void()>& sample_forward) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  std::unique_ptr<Sparsifier> sp(new Sparsifier(model, options));
  sp->block_size_ = options.block_rows * options.block_cols;
  if (options.method == Method::kDense) return sp;

  for (const auto& item : model.named_modules()) {
    const std::string& name = item.key();
    if (!options.module_prefixes.empty()) {
      bool selected = false;
      for (const std::string& prefix : options.module_prefixes) {
        selected |= absl::StartsWith(name, prefix);
      }
      if (!selected) continue;
    }
    Layer layer;
    if (auto* conv = item.value()->as<torch::nn::Conv2d>()) {
      layer.member = &conv->weight;
    } else if (auto* linear = item.value()->as<torch::nn::Linear>()) {
      layer.member = &linear->weight;
    } else {
      continue;
    }
    layer.name = name;
    layer.module = item.value();
    layer.weight = *layer.member;
    layer.shape = layer.weight.sizes().vec();
    layer.out = layer.shape[0];
    layer.in = layer.shape[1];
    layer.rest = layer.weight.numel() / (layer.out * layer.in);
    if (layer.out % options.block_rows != 0 || layer.in % options.block_cols != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block shape ", options.block_rows, "x", options.block_cols,
          " does not divide the weight of '", name, "' (shape ", ShapeString(layer.shape),
          "); choose a block shape that divides it or exclude the layer with module_prefixes"));
    }
    layer.entries = (layer.out / options.block_rows) * (layer.in / options.block_cols) * layer.rest;
    layer.offset = sp->num_entries_;
    sp->num_entries_ += layer.entries;
    sp->layers_.push_back(std::move(layer));
  }
  if (sp->layers_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no Conv2d or Linear layer matches module_prefixes [",
        absl::StrJoin(options.module_prefixes, ", "), "]"));
  }
  if (options.cost_model == CostModel::kLayerCosts) {
    if (options.layer_costs.size() != sp->layers_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cost model has ", options.layer_costs.size(), " layer costs but the model has ",
          sp->layers_.size(), " masked layers"));
    }
    for (double c : options.layer_costs) {
      if (!(c > 0.0 && std::isfinite(c))) {
        return absl::InvalidArgumentError(absl::StrCat("layer cost ", c, " must be > 0"));
      }
    }
  }
  if (sample_forward) {
    auto sizes = MeasureConvOutputSizes(model, sample_forward);
    if (!sizes.ok()) return sizes.status();
    for (Layer& layer : sp->layers_) {
      const auto it = sizes->find(layer.name);
      layer.flops_per_weight = it == sizes->end() ? 1.0 : static_cast<double>(it->second);
    }
    sp->flops_known_ = true;
  } else if (options.cost_model == CostModel::kFlops) {
    return absl::InvalidArgumentError("the FLOP cost model needs a sample forward pass");
  }

  // Per-weight costs, normalised to mean 1 over the masked weights: the scale of the costs does
  // not change the hard allocation, and this keeps β in the same 1/|w| units for every cost model.
  std::vector<double> per_weight(sp->layers_.size(), 1.0);
  for (size_t l = 0; l < sp->layers_.size(); ++l) {
    if (options.cost_model == CostModel::kFlops) per_weight[l] = sp->layers_[l].flops_per_weight;
    if (options.cost_model == CostModel::kLayerCosts) per_weight[l] = options.layer_costs[l];
  }
  double weighted = 0.0, masked = 0.0;
  for (size_t l = 0; l < sp->layers_.size(); ++l) {
    const double n = static_cast<double>(sp->layers_[l].weight.numel());
    weighted += per_weight[l] * n;
    masked += n;
  }
  const double mean_cost = weighted / masked;
  bool unit = true;
  for (size_t l = 0; l < sp->layers_.size(); ++l) {
    Layer& layer = sp->layers_[l];
    layer.cost_per_entry = static_cast<double>(sp->block_size_) * per_weight[l] / mean_cost;
    unit &= layer.cost_per_entry == 1.0;
    sp->total_cost_ += layer.cost_per_entry * static_cast<double>(layer.entries);
  }
  if (!unit) {
    sp->costs_ = torch::empty({sp->num_entries_}, torch::kFloat);
    for (const Layer& layer : sp->layers_) {
      sp->costs_.narrow(0, layer.offset, layer.entries).fill_(layer.cost_per_entry);
    }
  }

  // The final budget.
  int64_t total_params = 0;
  for (const torch::Tensor& p : model.parameters()) total_params += p.numel();
  const double s = options.target_sparsity;
  double density = 1.0 - s;
  if (options.cost_model == CostModel::kParameters && options.adjust_for_unmasked) {
    density = 1.0 - s * static_cast<double>(total_params) / masked;
    if (density <= 0.0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target sparsity ", s, " is unreachable: the ", total_params - static_cast<int64_t>(masked),
          " unmasked parameters alone are ",
          100.0 * (1.0 - masked / static_cast<double>(total_params)),
          "% of the model; lower the target or mask more layers"));
    }
  }
  sp->final_density_ = density;
  double budget = density * sp->total_cost_;
  if (options.cost_model == CostModel::kParameters) {
    // Whole blocks (every entry costs block_size): the exact number of weights the hard top-k
    // keeps, free of floating-point fuzz.
    const double bs = static_cast<double>(sp->block_size_);
    budget = bs * std::ceil(budget / bs - 1e-9);
  }
  if (budget <= 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("target sparsity ", s, " leaves no weight to keep"));
  }
  sp->final_budget_ = budget;
  SparsityScheduleOptions schedule = ScheduleOptionsOf(options);
  schedule.final_density = density;
  sp->schedule_ = SparsitySchedule(schedule);

  if (options.method == Method::kRigL) {
    // Sparse from the start: ERK per-layer counts, random positions.
    std::vector<std::vector<int64_t>> shapes;
    for (const Layer& layer : sp->layers_) shapes.push_back(layer.shape);
    const std::vector<int64_t> counts =
        ErkCounts(shapes, static_cast<int64_t>(std::llround(budget)));
    torch::Generator generator = at::detail::createCPUGenerator(options.seed);
    sp->hard_ = torch::zeros({sp->num_entries_}, torch::kFloat);
    for (size_t l = 0; l < sp->layers_.size(); ++l) {
      const Layer& layer = sp->layers_[l];
      const torch::Tensor order = torch::randperm(layer.entries, generator, torch::kLong);
      sp->hard_.narrow(0, layer.offset, layer.entries)
          .index_fill_(0, order.narrow(0, 0, counts[l]), 1.0f);
    }
  }
  return sp;
}

std::vector<Sparsifier::LayerInfo> Sparsifier::layers() const {
  std::vector<LayerInfo> out;
  for (const Layer& layer : layers_) {
    out.push_back({layer.name, layer.shape, layer.entries, layer.flops_per_weight,
                   layer.cost_per_entry});
  }
  return out;
}

double Sparsifier::BudgetAt(int64_t step) const {
  const double ramp = schedule_.DensityAt(step) * total_cost_;
  // Once the ramp has (up to rounding) arrived, the budget is exactly the snapped final one.
  if (ramp <= final_budget_ + 1e-9 * total_cost_) return final_budget_;
  return ramp;
}

torch::Tensor Sparsifier::Scores(bool with_grad) const {
  std::vector<torch::Tensor> parts;
  parts.reserve(layers_.size());
  for (const Layer& layer : layers_) {
    const torch::Tensor w = with_grad ? layer.weight : layer.weight.detach();
    torch::Tensor a = w.abs();
    if (block_size_ == 1) {
      parts.push_back(a.reshape({-1}));
    } else {
      parts.push_back(a.reshape({layer.out / options_.block_rows, options_.block_rows,
                                 layer.in / options_.block_cols, options_.block_cols, layer.rest})
                          .sum({1, 3})
                          .reshape({-1}));
    }
  }
  return torch::cat(parts);
}

torch::Tensor Sparsifier::Slice(const Layer& layer, const torch::Tensor& all) const {
  return all.narrow(0, layer.offset, layer.entries);
}

torch::Tensor Sparsifier::Expand(const Layer& layer, const torch::Tensor& entries) const {
  if (block_size_ == 1) return entries.view(layer.shape);
  const int64_t rb = layer.out / options_.block_rows, cb = layer.in / options_.block_cols;
  return entries.view({rb, 1, cb, 1, layer.rest})
      .expand({rb, options_.block_rows, cb, options_.block_cols, layer.rest})
      .reshape(layer.shape);
}

void Sparsifier::RecordFlips(int64_t step, const torch::Tensor& new_hard) {
  int64_t flips = 0;
  if (hard_.defined()) {
    flips = new_hard.ne(hard_).sum().item<int64_t>();
  } else {
    flips = num_entries_ - new_hard.sum().item<int64_t>();  // against the dense start
  }
  if (static_cast<int64_t>(flips_.size()) < step) flips_.resize(step, 0);
  flips_[step - 1] += flips;
  hard_ = new_hard;
}

void Sparsifier::UpdateMasks(int64_t step) {
  const double budget = BudgetAt(step);
  switch (options_.method) {
    case Method::kDense:
      return;
    case Method::kMagnitude:
    case Method::kDualAveraging: {
      torch::NoGradGuard no_grad;
      RecordFlips(step, HardTopKMask(Scores(/*with_grad=*/false), costs_, budget));
      break;
    }
    case Method::kSpartan: {
      const torch::Tensor scores = Scores(/*with_grad=*/true);
      SoftTopKOptions o;
      o.beta = schedule_.BetaAt(step);
      o.max_iters = options_.sinkhorn_max_iters;
      o.tol = options_.sinkhorn_tol;
      const torch::Tensor soft = SoftTopK(scores, costs_, budget, o, &last_stats_);
      sinkhorn_iterations_ += last_stats_.iterations;
      torch::Tensor hard;
      {
        torch::NoGradGuard no_grad;
        hard = HardTopKMask(scores.detach(), costs_, budget);
      }
      RecordFlips(step, hard);
      for (const Layer& layer : layers_) {
        // Forward value W ⊙ m ⊙ H; backward passes G through the hard projection unchanged.
        const torch::Tensor y = layer.weight * Expand(layer, Slice(layer, soft));
        *layer.member = y + (y * Expand(layer, Slice(layer, hard)) - y).detach();
      }
      frozen_mask_candidate_ = soft.detach() * hard;
      return;
    }
    case Method::kRigL:
      if (static_cast<int64_t>(flips_.size()) < step) flips_.resize(step, 0);
      break;
  }
  for (const Layer& layer : layers_) {
    const torch::Tensor mask = Expand(layer, Slice(layer, hard_));
    if (options_.method == Method::kDualAveraging) {
      *layer.member = layer.weight + (layer.weight * mask - layer.weight).detach();
    } else {
      *layer.member = layer.weight * mask;
    }
  }
  if (options_.method == Method::kRigL && step % options_.rigl_update_every == 0 &&
      step <= schedule_.freeze_step()) {
    for (const Layer& layer : layers_) layer.member->retain_grad();
  }
}

void Sparsifier::Freeze() {
  frozen_mask_ = options_.method == Method::kSpartan ? frozen_mask_candidate_ : hard_.clone();
  frozen_ = true;
}

void Sparsifier::ApplyFrozen() {
  for (const Layer& layer : layers_) {
    *layer.member = layer.weight * Expand(layer, Slice(layer, frozen_mask_));
  }
}

void Sparsifier::BeginStep(int64_t step) {
  if (options_.method == Method::kDense || finalized_) return;
  const auto start = std::chrono::steady_clock::now();
  if (frozen_) {
    if (static_cast<int64_t>(flips_.size()) < step) flips_.resize(step, 0);
    ApplyFrozen();
  } else if (schedule_.FrozenAt(step)) {
    // The last mask update (from the weights after the freeze step's optimizer step), then freeze.
    UpdateMasks(step);
    Freeze();
    ApplyFrozen();
  } else {
    UpdateMasks(step);
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Sparsifier::AfterBackward(int64_t step) {
  if (options_.method != Method::kRigL || frozen_ || finalized_) return;
  if (step % options_.rigl_update_every != 0 || step > schedule_.freeze_step()) return;
  const auto start = std::chrono::steady_clock::now();
  RigLUpdate(step);
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Sparsifier::RigLUpdate(int64_t step) {
  torch::NoGradGuard no_grad;
  const double pi = std::acos(-1.0);
  const double fraction = 0.5 * options_.rigl_drop_fraction *
                          (1.0 + std::cos(pi * static_cast<double>(step) /
                                          static_cast<double>(schedule_.freeze_step())));
  torch::Tensor new_hard = hard_.clone();
  for (const Layer& layer : layers_) {
    const torch::Tensor dense_grad = layer.member->grad();
    if (!dense_grad.defined()) continue;
    torch::Tensor mask = Slice(layer, new_hard);
    const torch::Tensor active = mask.gt(0.5);
    const int64_t n_active = active.sum().item<int64_t>();
    const torch::Tensor grad_magnitude = dense_grad.abs().reshape({-1});
    // Grow candidates: connections inactive before this update whose gradient is non-zero (a
    // zero-gradient connection would stay an exact zero).
    const torch::Tensor candidates = active.logical_not().logical_and(grad_magnitude.gt(0));
    const int64_t k = std::min(static_cast<int64_t>(fraction * static_cast<double>(n_active)),
                               candidates.sum().item<int64_t>());
    if (k <= 0) continue;
    const torch::Tensor magnitude = layer.weight.detach().abs().reshape({-1});
    const float inf = std::numeric_limits<float>::infinity();
    // Drop the k active weights of smallest magnitude.
    const torch::Tensor drop_score = torch::where(active, magnitude, torch::full_like(magnitude, inf));
    const torch::Tensor dropped = std::get<1>(drop_score.topk(k, 0, /*largest=*/false));
    // Grow the k candidates of largest dense-gradient magnitude.
    const torch::Tensor grow_score =
        torch::where(candidates, grad_magnitude, torch::full_like(grad_magnitude, -inf));
    const torch::Tensor grown = std::get<1>(grow_score.topk(k, 0, /*largest=*/true));
    mask.index_fill_(0, dropped, 0.0f);
    mask.index_fill_(0, grown, 1.0f);
    // New connections start at zero; this step's update uses the dense gradient on the new mask.
    const torch::Tensor newly = mask.gt(0.5).logical_and(active.logical_not());
    layer.weight.view({-1}).masked_fill_(newly, 0.0f);
    if (layer.weight.grad().defined()) {
      layer.weight.mutable_grad().copy_(dense_grad * mask.view(layer.shape));
    }
  }
  RecordFlips(step, new_hard);
}

std::vector<int64_t> Sparsifier::KeptPerLayer() const {
  std::vector<int64_t> kept;
  for (const Layer& layer : layers_) {
    kept.push_back(hard_.defined() ? Slice(layer, hard_).sum().item<int64_t>() : layer.entries);
  }
  return kept;
}

void Sparsifier::Finalize() {
  if (options_.method == Method::kDense || finalized_) return;
  if (!frozen_) {
    UpdateMasks(schedule_.freeze_step() + 1 > options_.total_steps ? options_.total_steps
                                                                   : schedule_.freeze_step() + 1);
    Freeze();
  }
  torch::NoGradGuard no_grad;
  for (const Layer& layer : layers_) {
    layer.weight.mul_(Expand(layer, Slice(layer, frozen_mask_)));
    *layer.member = layer.weight;
  }
  finalized_ = true;
}

SparsityReport Sparsifier::Measure() const {
  torch::NoGradGuard no_grad;
  SparsityReport r;
  r.target_sparsity = options_.target_sparsity;
  for (const torch::Tensor& p : model_->parameters()) {
    r.total_params += p.numel();
    r.zero_params += p.eq(0).sum().item<int64_t>();
  }
  r.sparsity_all = static_cast<double>(r.zero_params) / static_cast<double>(r.total_params);
  if (options_.method == Method::kDense) {
    for (const auto& item : model_->named_modules()) {
      if (auto* conv = item.value()->as<torch::nn::Conv2d>()) r.masked_params += conv->weight.numel();
      if (auto* lin = item.value()->as<torch::nn::Linear>()) r.masked_params += lin->weight.numel();
    }
    r.masked_nonzeros = r.budgeted_nonzeros = r.masked_params;
    r.measured_for_target = r.sparsity_all;
    r.sparsity_from_masks = 0.0;
    return r;
  }
  double kept_cost = 0.0, kept_flops = 0.0, all_flops = 0.0;
  int64_t hard_kept_weights = 0;
  for (const Layer& layer : layers_) {
    const torch::Tensor nonzero = layer.weight.ne(0);
    const int64_t nnz = nonzero.sum().item<int64_t>();
    r.masked_params += layer.weight.numel();
    r.masked_nonzeros += nnz;
    kept_cost += static_cast<double>(nnz) * layer.cost_per_entry / static_cast<double>(block_size_);
    kept_flops += static_cast<double>(nnz) * layer.flops_per_weight;
    all_flops += static_cast<double>(layer.weight.numel()) * layer.flops_per_weight;
    if (hard_.defined()) hard_kept_weights += Slice(layer, hard_).sum().item<int64_t>() * block_size_;
  }
  r.sparsity_masked =
      1.0 - static_cast<double>(r.masked_nonzeros) / static_cast<double>(r.masked_params);
  r.sparsity_from_masks = static_cast<double>(r.masked_params - r.masked_nonzeros) /
                          static_cast<double>(r.total_params);
  r.cost_fraction = kept_cost / total_cost_;
  r.flop_fraction = flops_known_ ? kept_flops / all_flops : std::nan("");
  double max_entry_cost = 0.0;
  for (const Layer& layer : layers_) max_entry_cost = std::max(max_entry_cost, layer.cost_per_entry);
  if (options_.cost_model == CostModel::kParameters) {
    r.budgeted_nonzeros = static_cast<int64_t>(std::llround(final_budget_));
    if (options_.adjust_for_unmasked) {
      r.measured_for_target = r.sparsity_from_masks;
      r.target_granularity = static_cast<double>(block_size_) / static_cast<double>(r.total_params);
    } else {
      r.measured_for_target = r.sparsity_masked;
      r.target_granularity = static_cast<double>(block_size_) / static_cast<double>(r.masked_params);
    }
  } else {
    r.budgeted_nonzeros = hard_kept_weights;
    r.measured_for_target = 1.0 - r.cost_fraction;
    r.target_granularity = max_entry_cost / total_cost_;
  }
  return r;
}

}  // namespace repro::spartan
