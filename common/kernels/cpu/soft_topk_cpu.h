// CPU reference kernels of the soft top-k op (common/kernels/soft_topk.h) on raw float arrays:
// exact weighted top-k threshold (radix select, O(d)), the exact hard top-k mask, the soft top-k
// forward pass (log-domain Sinkhorn with threshold initialisation) and its O(d) implicit backward.
// Vectorised (GCC target clones for AVX2, `omp simd` reductions) and multi-threaded with
// at::parallel_for over fixed-size chunks, so results do not depend on the thread count.
//
// `c` (per-entry costs) may be null, meaning unit costs. All arrays have n entries.
#ifndef COMMON_KERNELS_CPU_SOFT_TOPK_CPU_H_
#define COMMON_KERNELS_CPU_SOFT_TOPK_CPU_H_

#include <cstdint>

#include "common/kernels/soft_topk_types.h"

namespace repro::kernels::cpu {

// The hard top-k threshold of unit values u under `budget` (in cost units, > 0).
TopKThreshold FindTopKThreshold(const float* u, const float* c, int64_t n, double budget);

// mask_i = 1 for the kept entries of `t` (see TopKThreshold), else 0.
void HardTopKMask(const float* u, const float* c, int64_t n, double budget, const TopKThreshold& t,
                  float* mask);

// Soft top-k forward: m_i = sigmoid(β v_i / c_i + μ) with Σ c_i m_i ≈ budget. `mask` (n floats) is
// also used as scratch. 0 < budget < Σ c.
SoftTopKStats SoftTopKForward(const float* v, const float* c, int64_t n, double budget,
                              const SoftTopKOptions& options, float* mask);

// Implicit backward (Spartan, Alg. 5): with a = Σ g m (1 − m) and b = Σ c m (1 − m),
// grad_v_i = β m_i (1 − m_i) (g_i / c_i − a / b).
void SoftTopKBackward(const float* grad_mask, const float* mask, const float* c, int64_t n,
                      double beta, float* grad_v);

}  // namespace repro::kernels::cpu

#endif  // COMMON_KERNELS_CPU_SOFT_TOPK_CPU_H_
