// CARL's Sequence Contrastive Loss (SCL, spec §3), as its `compute_sequence_loss` computes it with
// the `gauss` prior and `single_noself` negatives.
//
// Each video b gives two views U, W of T frames. For i in U and j in W (and symmetrically):
//   d_ij  = | s_i / L_i * L_j - s_j |            (= |s_i - s_j| within a video)
//   w_ij  = exp(-d_ij^2 / (2 sigma^2)) / sum_k in W exp(-d_ik^2 / (2 sigma^2))
//   q_ij  = exp(p_i.p_j / tau) / sum_k weight_ik exp(p_i.p_k / tau)
//   L     = 1/N_valid sum_i sum_j w_ij (log w_ij - log(q_ij + 1e-6))
// where weight_ik is 1 for the frames of the other view of the same video and 0 for the rest
// (same view, other videos). Pairs touching a padded frame get distance 1e6 (so no prior weight),
// denominator weight 1e-6 and no loss; N_valid is the number of unpadded frames.
#ifndef MVFORMER_SCL_LOSS_H_
#define MVFORMER_SCL_LOSS_H_

#include "common/port/torch.h"

namespace repro::mvformer {

struct SclOptions {
  double temperature = 0.1;    // tau
  double label_variance = 10;  // sigma^2, in frames
};

// embeddings: [B, 2, T, D] L2-normalised projections; steps: [B, 2, T] sampled frame indices;
// lengths: [B, 2] video lengths L; valid: [B, 2, T] bool (false = padded). Returns a scalar.
torch::Tensor SequenceContrastiveLoss(const torch::Tensor& embeddings, const torch::Tensor& steps,
                                      const torch::Tensor& lengths, const torch::Tensor& valid,
                                      const SclOptions& options);

}  // namespace repro::mvformer

#endif  // MVFORMER_SCL_LOSS_H_
