// Optimizers from typed options: SGD (with momentum / Nesterov), Adam (coupled L2 weight decay, as
// torch.optim.Adam) and AdamW (decoupled weight decay), as LibTorch 1.13 implements them.
//
//   OptimizerOptions o;
//   o.kind = OptimizerKind::kSgd; o.lr = 0.1; o.momentum = 0.9; o.nesterov = true;
//   o.weight_decay = 5e-4; o.no_decay_on_bias_and_norm = true;
//   std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(*model, o);
#ifndef COMMON_TRAIN_OPTIMIZER_H_
#define COMMON_TRAIN_OPTIMIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/port/torch.h"

namespace repro {

enum class OptimizerKind { kSgd, kAdam, kAdamW };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kSgd;
  double lr = 0.1;
  double momentum = 0.0;  // SGD only
  bool nesterov = false;  // SGD only; needs momentum > 0
  double weight_decay = 0.0;
  double beta1 = 0.9;  // Adam / AdamW
  double beta2 = 0.999;
  double eps = 1e-8;
  // With MakeOptimizer(module, ...): no weight decay on parameters with at most one dimension
  // (biases, BatchNorm/LayerNorm scales and shifts), the usual recipe.
  bool no_decay_on_bias_and_norm = false;
};

// "sgd", "adam" or "adamw" (the spelling configs use).
absl::StatusOr<OptimizerKind> ParseOptimizerKind(const std::string& name);
std::string OptimizerKindName(OptimizerKind kind);

// One parameter group with `options` (no_decay_on_bias_and_norm is ignored here).
// TORCH_CHECKs the options (lr >= 0, Nesterov needs momentum, ...).
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(std::vector<torch::Tensor> params,
                                                       const OptimizerOptions& options);

// All parameters of `module` that require gradients; with no_decay_on_bias_and_norm, a second
// group without weight decay for the parameters of dimension <= 1.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const torch::nn::Module& module,
                                                       const OptimizerOptions& options);

}  // namespace repro

#endif  // COMMON_TRAIN_OPTIMIZER_H_
