// Plain structs shared by the soft top-k op's public header and its CPU and CUDA kernels (no
// LibTorch, no CUDA types), so each kernel can be compiled on its own.
#ifndef COMMON_KERNELS_SOFT_TOPK_TYPES_H_
#define COMMON_KERNELS_SOFT_TOPK_TYPES_H_

#include <cstdint>

namespace repro {

// Settings of the soft top-k forward pass (Spartan, Alg. 4).
struct SoftTopKOptions {
  // Sharpness β of the entropy-regularised transport (1/β is the entropy weight). Larger is harder.
  double beta = 1.0;
  // Iteration cap of the log-domain Sinkhorn iterations.
  int max_iters = 100;
  // Stop when |Σ m v − previous| <= tol · |previous|.
  double tol = 0.01;
};

// The hard top-k boundary of unit values u (= v / c) under a cost budget: sort u descending (ties by
// index), accumulate costs, and let j* be the first position whose cumulative cost reaches the
// budget. Everything with u > tau is kept; entries with u == tau are kept in index order until the
// budget is reached.
struct TopKThreshold {
  float tau = 0.0f;         // u at position j*
  double cost_above = 0.0;  // Σ c over u > tau
  double cost_tied = 0.0;   // Σ c over u == tau
  int64_t num_above = 0;    // #{u > tau}
  int64_t num_tied = 0;     // #{u == tau}
  bool keep_all = false;    // the budget covers every entry (no threshold)
};

// What one soft top-k forward pass did.
struct SoftTopKStats {
  TopKThreshold threshold;
  // The dual variable in the centred coordinates of the iterations: m_i = sigmoid(β (u_i − tau) + mu).
  double mu = 0.0;
  int iterations = 0;
  bool converged = false;
  double mask_cost = 0.0;  // Σ c_i m_i of the returned mask (≈ budget, tolerance-limited)
};

}  // namespace repro

#endif  // COMMON_KERNELS_SOFT_TOPK_TYPES_H_
