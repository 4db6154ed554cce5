// Metric-compatible contrastive learning (MCL, backfill.md §2.3): a supervised contrastive loss
// whose positives and negatives come from both retrieval systems of a half-backfilled gallery, so
// that distances in the old space (transformed query ψ(φⁿ(x)) against old gallery embeddings
// φᵒ(x)) and in the new space (new query against new gallery embeddings) become comparable and
// one ranking over the mixed gallery is correct.
//
// For a batch {(x_i, y_i)}, with squared-L2 distances
//   dᵒ_ij = ||q̂ᵒ_i − gᵒ_j||²   (q̂ᵒ = ψ(φⁿ(x)), gᵒ = φᵒ(x))
//   dⁿ_ij = ||qⁿ_i − gⁿ_j||²   (qⁿ = gⁿ = φⁿ(x), or ρ(φⁿ(x)) with a learnable new embedding)
// and positives P(i) = {j ≠ i : y_j = y_i}, the joint loss is
//   L = −(1/N) Σ_i log [ Σ_{j∈P(i)} Σ_{s∈S} exp(−dˢ_ij/τ) / Σ_{j≠i} Σ_{s∈S} exp(−dˢ_ij/τ) ]
// with S = {o, n} in one softmax. The ablation variants (backfill.md §2.3):
//   kOldOnly   S = {o}
//   kNewOnly   S = {n}
//   kSeparate  the sum of the S = {o} and S = {n} losses (two independent softmaxes)
//   kJoint     S = {o, n}
// N counts the anchors with at least one positive; the others are left out.
#ifndef BACKFILL_MCL_LOSS_H_
#define BACKFILL_MCL_LOSS_H_

#include <string>

#include "common/port/torch.h"

namespace repro::backfill {

enum class MclVariant { kOldOnly, kNewOnly, kSeparate, kJoint };

// "old-only", "new-only", "separate", "joint".
std::string MclVariantName(MclVariant variant);

struct MclLossOptions {
  double temperature = 0.1;  // τ
  MclVariant variant = MclVariant::kJoint;
};

// query_old [B, d_o], gallery_old [B, d_o], query_new [B, d_n], gallery_new [B, d_n] (float),
// labels [B] (int64) -> scalar loss (0 when no anchor has a positive). Differentiable in all four
// embedding inputs.
torch::Tensor MclLoss(const torch::Tensor& query_old, const torch::Tensor& gallery_old,
                      const torch::Tensor& query_new, const torch::Tensor& gallery_new,
                      const torch::Tensor& labels, const MclLossOptions& options);

}  // namespace repro::backfill

#endif  // BACKFILL_MCL_LOSS_H_
