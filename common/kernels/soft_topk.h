// The soft top-k op of Spartan (Tai, Tian, Lim, NeurIPS 2022; spec shared/papers/spartan.md §2.2-2.4):
// a differentiable relaxation of "keep the entries with the largest value per unit cost under a
// cost budget", as the solution of an entropy-regularised two-bin optimal-transport problem.
//
//   m = SoftTopK(v, c, k, {.beta = 10})  with  m_i = sigmoid(β v_i / c_i + μ),  Σ_i c_i m_i ≈ k,
//
// solved by log-domain Sinkhorn iterations started at the hard top-k threshold (tolerance and
// iteration cap in SoftTopKOptions). Its backward pass is the exact implicit gradient, O(d), with no
// unrolling of the iterations. β → ∞ gives the hard top-k (fractional knapsack) mask, β → 0 the
// uniform density k / Σ c.
//
//   torch::Tensor v = weight.abs().flatten().requires_grad_();
//   torch::Tensor m = repro::SoftTopK(v, /*costs=*/{}, /*budget=*/0.1 * v.numel(), options);
//   torch::Tensor hard = repro::HardTopKMask(v, {}, 0.1 * v.numel());  // exactly 10% ones
//
// Tensors are float32 on the CPU (reference kernels in cpu/), or on a CUDA device when the build
// has --config=cuda and LibTorch has CUDA (kernels in cuda/). This header has no CUDA types.
#ifndef COMMON_KERNELS_SOFT_TOPK_H_
#define COMMON_KERNELS_SOFT_TOPK_H_

#include "common/kernels/soft_topk_types.h"
#include "common/port/torch.h"

namespace repro {

// The soft top-k mask of `values` (any shape) with per-entry `costs` (same shape, > 0; an undefined
// tensor means unit costs) under `budget` (in cost units, > 0). Differentiable with respect to
// `values` (custom autograd function with the implicit backward). A budget >= Σ c gives all ones.
// If `stats` is given, it receives the threshold, μ, the iteration count and Σ c m.
torch::Tensor SoftTopK(const torch::Tensor& values, const torch::Tensor& costs, double budget,
                       const SoftTopKOptions& options, SoftTopKStats* stats = nullptr);

// The exact hard top-k boundary of unit values values / costs (see TopKThreshold).
TopKThreshold FindTopKThreshold(const torch::Tensor& values, const torch::Tensor& costs,
                                double budget);

// The hard top-k mask (1 = kept, 0 = dropped; float32, the shape of `values`): the entries with
// the largest values / costs, ties broken by index, the smallest such prefix whose cost reaches
// `budget`. With unit costs exactly ceil(budget) entries are kept (all of them if budget >= numel).
torch::Tensor HardTopKMask(const torch::Tensor& values, const torch::Tensor& costs, double budget);

// The implicit backward of SoftTopK on its own (what the autograd function calls): given
// dL/dm, the mask m, the costs and β, returns dL/dv.
torch::Tensor SoftTopKBackward(const torch::Tensor& grad_mask, const torch::Tensor& mask,
                               const torch::Tensor& costs, double beta);

}  // namespace repro

#endif  // COMMON_KERNELS_SOFT_TOPK_H_
