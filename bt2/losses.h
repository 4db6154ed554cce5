// The training losses of BT² and its baselines, as the official code computes them (spec bt2.md
// §2.3-2.4), each a mean over the mini-batch:
//
//   BCT influence   CE(φ[:d_old] · Pᵀ, y)          P: the pseudo old classifier (class means of φ_old)
//   BT²             CE(W_out f, y) + λ1 (1 − <f, φ'_new(x)>) + λ3 (1 − <b̂, φ_old(x)>) + λ2 CE(P b̂, y)
#ifndef BT2_LOSSES_H_
#define BT2_LOSSES_H_

#include <cstdint>

#include "bt2/models.h"
#include "common/port/torch.h"

namespace repro::bt2 {

// P: [K, d_old], row c = the mean of `old_features` [N, d_old] over the items with label c (labels
// [N] int64 in [0, K)); rows of classes without items are 0. Rows are not re-normalised and there is
// no logit scale (as in the code, which builds P over all classes of the new training set).
torch::Tensor PseudoOldClassifier(const torch::Tensor& old_features, const torch::Tensor& labels,
                                  int64_t num_classes);

// Cross-entropy with label smoothing `smoothing` (0: plain CE). logits [B, K], labels [B].
torch::Tensor CrossEntropy(const torch::Tensor& logits, const torch::Tensor& labels,
                           double smoothing);

// BCT's influence loss CE(features[:, :d_old] · Pᵀ, y): the new features scored by the (pseudo)
// old classifier P [K, d_old]. With features wider than d_old this is P zero-padded (the naive
// "added dimensions" baseline).
torch::Tensor InfluenceLoss(const torch::Tensor& features, const torch::Tensor& pseudo_classifier,
                            const torch::Tensor& labels, double smoothing);

struct Bt2LossWeights {
  double new_match = 1.0;    // λ1
  double influence = 10.0;   // λ2
  double old_match = 5.0;    // λ3
  double label_smoothing = 0.0;  // of the classification term (the code uses none)
};

struct Bt2LossTerms {
  torch::Tensor total;
  torch::Tensor classification;  // CE(W_out f, y)
  torch::Tensor new_match;       // 1 − <f, φ'_new(x)>
  torch::Tensor old_match;       // 1 − <b̂, φ_old(x)>
  torch::Tensor influence;       // CE(P b̂, y)
};

// The BT² objective (§2.3). new_targets: φ'_new(x) [B, d_new], old_targets: φ_old(x) [B, d_old],
// both unit norm and precomputed; pseudo_classifier: P [K, d_old].
Bt2LossTerms Bt2Loss(const Bt2Output& out, const torch::Tensor& labels,
                     const torch::Tensor& new_targets, const torch::Tensor& old_targets,
                     const torch::Tensor& pseudo_classifier, const Bt2LossWeights& weights);

}  // namespace repro::bt2

#endif  // BT2_LOSSES_H_
