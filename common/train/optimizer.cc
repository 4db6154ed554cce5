#include "common/train/optimizer.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace repro {
namespace {

void CheckOptions(const OptimizerOptions& o) {
  TORCH_CHECK(o.lr >= 0, "optimizer: lr must be >= 0, got ", o.lr);
  TORCH_CHECK(o.weight_decay >= 0, "optimizer: weight_decay must be >= 0, got ", o.weight_decay);
  TORCH_CHECK(o.momentum >= 0, "optimizer: momentum must be >= 0, got ", o.momentum);
  TORCH_CHECK(!o.nesterov || o.momentum > 0, "optimizer: Nesterov momentum needs momentum > 0");
  TORCH_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1,
              "optimizer: betas must lie in [0, 1), got ", o.beta1, ", ", o.beta2);
  TORCH_CHECK(o.eps >= 0, "optimizer: eps must be >= 0");
}

template <typename Optimizer, typename Options>
std::unique_ptr<torch::optim::Optimizer> Build(std::vector<torch::Tensor> decay,
                                               std::vector<torch::Tensor> no_decay,
                                               const Options& options) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty() || no_decay.empty()) {
    groups.emplace_back(std::move(decay), std::make_unique<Options>(options));
  }
  if (!no_decay.empty()) {
    Options without = options;
    without.weight_decay(0.0);
    groups.emplace_back(std::move(no_decay), std::make_unique<Options>(without));
  }
  return std::make_unique<Optimizer>(std::move(groups), options);
}

std::unique_ptr<torch::optim::Optimizer> MakeGrouped(std::vector<torch::Tensor> decay,
                                                     std::vector<torch::Tensor> no_decay,
                                                     const OptimizerOptions& o) {
  CheckOptions(o);
  switch (o.kind) {
    case OptimizerKind::kSgd:
      return Build<torch::optim::SGD>(std::move(decay), std::move(no_decay),
                                      torch::optim::SGDOptions(o.lr)
                                          .momentum(o.momentum)
                                          .nesterov(o.nesterov)
                                          .weight_decay(o.weight_decay));
    case OptimizerKind::kAdam:
      return Build<torch::optim::Adam>(std::move(decay), std::move(no_decay),
                                       torch::optim::AdamOptions(o.lr)
                                           .betas({o.beta1, o.beta2})
                                           .eps(o.eps)
                                           .weight_decay(o.weight_decay));
    case OptimizerKind::kAdamW:
      return Build<torch::optim::AdamW>(std::move(decay), std::move(no_decay),
                                        torch::optim::AdamWOptions(o.lr)
                                            .betas({o.beta1, o.beta2})
                                            .eps(o.eps)
                                            .weight_decay(o.weight_decay));
  }
  TORCH_CHECK(false, "optimizer: unknown kind");
}

}  // namespace

absl::StatusOr<OptimizerKind> ParseOptimizerKind(const std::string& name) {
  std::string lower = name;
  absl::AsciiStrToLower(&lower);
  if (lower == "sgd") return OptimizerKind::kSgd;
  if (lower == "adam") return OptimizerKind::kAdam;
  if (lower == "adamw") return OptimizerKind::kAdamW;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown optimizer '", name, "'; expected sgd, adam or adamw"));
}

std::string OptimizerKindName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return "sgd";
    case OptimizerKind::kAdam:
      return "adam";
    case OptimizerKind::kAdamW:
      return "adamw";
  }
  return "unknown";
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(std::vector<torch::Tensor> params,
                                                       const OptimizerOptions& options) {
  return MakeGrouped(std::move(params), {}, options);
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const torch::nn::Module& module,
                                                       const OptimizerOptions& options) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const torch::Tensor& p : module.parameters()) {
    if (!p.requires_grad()) continue;
    if (options.no_decay_on_bias_and_norm && p.dim() <= 1) {
      no_decay.push_back(p);
    } else {
      decay.push_back(p);
    }
  }
  return MakeGrouped(std::move(decay), std::move(no_decay), options);
}

}  // namespace repro
