// The sparsifier of Spartan (Tai, Tian, Lim, NeurIPS 2022; spec shared/papers/spartan.md §2) and of
// the baselines trained through the same framework and schedule. It wraps the Conv2d and Linear
// weights of any torch::nn::Module in place: the registered parameter W stays the leaf that the
// optimizer updates, and before every forward pass the module's `weight` member (what its forward
// reads) is set to the effective weight W_eff built from W and the mask:
//
//   kDense          W_eff = W
//   kMagnitude      W_eff = W ⊙ H               ∂L/∂W = G ⊙ H          (gradual magnitude pruning)
//   kDualAveraging  W_eff = W ⊙ H               ∂L/∂W = G              (straight-through, Top-KAST-like)
//   kSpartan        W_eff = STE(W ⊙ σ_k^β(v(|W|)), H)   ∂L/∂W = G ⊙ M + sign(W) ∂L/∂v   (Alg. 3)
//   kRigL           W_eff = W ⊙ H, H per layer (ERK), periodic drop (|W|) / grow (|G|)
//
// H is the exact hard top-k mask (the budgeted number of non-zeros, ties by index) over all masked
// layers at once (global allocation), σ_k^β the soft top-k of common/kernels, v the block sums of
// |W| (unstructured: v = |W|) and the costs per entry the block size, optionally times a linear
// FLOP factor. Density, β and the mask freeze follow SparsitySchedule; after the freeze every
// method fine-tunes with its mask fixed (W_eff = W ⊙ M, ∂L/∂W = G ⊙ M). Finalize() bakes the masks
// into the weights (zeros exact; Spartan's soft scales kept).
//
// One training step (the loop in sparse_trainer.h):
//   sparsifier->BeginStep(step);            // 1-based; sets W_eff for the forward pass
//   loss = criterion(model.forward(x)); loss.backward();
//   sparsifier->AfterBackward(step);        // RigL's drop/grow (needs the dense gradient)
//   optimizer.step();
#ifndef SPARTAN_SPARSIFIER_H_
#define SPARTAN_SPARSIFIER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/kernels/soft_topk_types.h"
#include "common/port/torch.h"
#include "spartan/sparsity_schedule.h"

namespace repro::spartan {

enum class Method { kDense, kMagnitude, kDualAveraging, kSpartan, kRigL };
const char* MethodName(Method method);

enum class CostModel {
  kParameters,  // every weight costs 1: the budget counts non-zeros
  kFlops,       // a conv weight costs H_out · W_out, a linear weight 1 (measured by a forward pass)
  kLayerCosts,  // a given per-weight cost for each masked layer (layer_costs, in layer order)
};

struct SparsifierOptions {
  Method method = Method::kSpartan;
  // Fraction of the cost to remove: the fraction of zero weights for kParameters (over all model
  // parameters when adjust_for_unmasked, else over the masked weights), 1 − the kept cost fraction
  // otherwise. In [0, 1).
  double target_sparsity = 0.9;
  // Block shape over a weight's two leading dims (out, in); conv blocks span one kernel position.
  int64_t block_rows = 1;
  int64_t block_cols = 1;
  CostModel cost_model = CostModel::kParameters;
  std::vector<double> layer_costs;
  // kParameters only: raise the masked layers' sparsity so that the sparsity over all parameters
  // (biases, norms and unmasked layers included) is the target (spec §2.6 adjust_cost_frac).
  bool adjust_for_unmasked = true;
  // Mask the Conv2d/Linear modules whose name starts with one of these (empty: all of them).
  std::vector<std::string> module_prefixes;
  int64_t total_steps = 1;
  double warmup_frac = 0.2;
  double finetune_frac = 0.2;
  double beta_init = 1.0;
  double beta_final = 20.0;
  int sinkhorn_max_iters = 100;
  double sinkhorn_tol = 0.01;
  // RigL: drop/grow every this many steps, dropping this fraction of each layer's active weights
  // (cosine-decayed to 0 at the freeze step).
  int64_t rigl_update_every = 100;
  double rigl_drop_fraction = 0.3;
  uint64_t seed = 0;  // RigL's random initial masks
};

// What the finalized model looks like.
struct SparsityReport {
  int64_t total_params = 0;       // every parameter of the model
  int64_t zero_params = 0;        // exact zeros among them
  int64_t masked_params = 0;      // weights of the masked layers
  int64_t masked_nonzeros = 0;    // non-zeros among them
  int64_t budgeted_nonzeros = 0;  // what the budget allows (exact hard top-k / ERK count)
  double sparsity_all = 0.0;      // zero_params / total_params (exact zeros anywhere)
  // Zeros the masks made, over all parameters: (masked_params − masked_nonzeros) / total_params.
  // Differs from sparsity_all by parameters that happen to be exactly zero (e.g. the BatchNorm
  // shift of a channel whose weights were all pruned never receives a gradient and stays 0).
  double sparsity_from_masks = 0.0;
  double sparsity_masked = 0.0;   // 1 − masked_nonzeros / masked_params
  double target_sparsity = 0.0;
  // The reference the target is measured on: sparsity_from_masks (adjusted parameter budget),
  // sparsity_masked (unadjusted), or 1 − cost_fraction (FLOP / layer costs).
  double measured_for_target = 0.0;
  // Largest deviation from the target the budget rounding allows (one entry's share).
  double target_granularity = 0.0;
  double cost_fraction = 1.0;  // Σ cost of kept weights / Σ cost of all masked weights
  double flop_fraction = 1.0;  // same with the linear FLOP model (when FLOP factors are known)
};

class Sparsifier {
 public:
  // Finds the masked layers of `model` and checks the options against them (one-line errors:
  // a target outside [0, 1), a block shape that does not divide a weight, layer_costs of the wrong
  // size, a target the unmasked parameters make unreachable, ...). `sample_forward`, when given,
  // runs one forward pass of the model; it measures the FLOP factors (required for kFlops; used
  // for the reported FLOP fraction otherwise).
  static absl::StatusOr<std::unique_ptr<Sparsifier>> Create(
      torch::nn::Module& model, const SparsifierOptions& options,
      const std::function<void()>& sample_forward = {});

  ~Sparsifier();
  Sparsifier(const Sparsifier&) = delete;
  Sparsifier& operator=(const Sparsifier&) = delete;

  // Before the forward pass of 1-based `step`: updates the mask (unless frozen) and sets W_eff.
  void BeginStep(int64_t step);
  // After loss.backward() of `step`, before the optimizer step.
  void AfterBackward(int64_t step);
  // Bakes the final masks into the weights and restores the modules' own weights.
  void Finalize();
  // Counts on the finalized model.
  SparsityReport Measure() const;

  struct LayerInfo {
    std::string name;
    std::vector<int64_t> shape;
    int64_t entries = 0;             // mask entries (blocks)
    double flops_per_weight = 1.0;   // H_out · W_out for conv, 1 for linear
    double cost_per_entry = 1.0;     // in the cost model's units (normalised to mean 1 per weight)
  };
  std::vector<LayerInfo> layers() const;
  int64_t num_entries() const { return num_entries_; }
  // Budget in cost units at `step` (the final budget is snapped to whole blocks).
  double BudgetAt(int64_t step) const;
  double final_budget() const { return final_budget_; }
  double total_cost() const { return total_cost_; }
  const SparsitySchedule& schedule() const { return schedule_; }
  // Entries whose hard mask changed at each step so far (index step − 1).
  const std::vector<int64_t>& flips() const { return flips_; }
  // The current hard mask over all entries ([num_entries] float 0/1; undefined before step 1).
  const torch::Tensor& hard_mask() const { return hard_; }
  // Kept entries per layer of the current hard mask.
  std::vector<int64_t> KeptPerLayer() const;
  // Seconds spent in BeginStep/AfterBackward, and Sinkhorn iterations in total.
  double seconds() const { return seconds_; }
  int64_t sinkhorn_iterations() const { return sinkhorn_iterations_; }
  const SoftTopKStats& last_soft_topk_stats() const { return last_stats_; }

 private:
  struct Layer;
  Sparsifier(torch::nn::Module& model, const SparsifierOptions& options);

  torch::Tensor Scores(bool with_grad) const;
  torch::Tensor Expand(const Layer& layer, const torch::Tensor& entries) const;
  torch::Tensor Slice(const Layer& layer, const torch::Tensor& all) const;
  void RecordFlips(int64_t step, const torch::Tensor& new_hard);
  // Computes the masks of `step` (not frozen) and sets W_eff.
  void UpdateMasks(int64_t step);
  void Freeze();
  void ApplyFrozen();
  void RigLUpdate(int64_t step);

  torch::nn::Module* model_;
  SparsifierOptions options_;
  SparsitySchedule schedule_;
  std::vector<Layer> layers_;
  int64_t num_entries_ = 0;
  int64_t block_size_ = 1;
  torch::Tensor costs_;  // [num_entries] or undefined (unit costs)
  double total_cost_ = 0.0;
  double final_density_ = 1.0;
  double final_budget_ = 0.0;
  bool flops_known_ = false;

  torch::Tensor hard_;    // current hard mask [num_entries]
  torch::Tensor frozen_mask_;            // the fixed mask once frozen (Spartan: soft ⊙ hard)
  torch::Tensor frozen_mask_candidate_;  // Spartan: soft ⊙ hard of the latest update
  bool frozen_ = false;
  bool finalized_ = false;
  std::vector<int64_t> flips_;
  double seconds_ = 0.0;
  int64_t sinkhorn_iterations_ = 0;
  SoftTopKStats last_stats_;
};

}  // namespace repro::spartan

#endif  // SPARTAN_SPARSIFIER_H_
