#include "bt2/losses.h"

namespace repro::bt2 {

namespace F = torch::nn::functional;

torch::Tensor PseudoOldClassifier(const torch::Tensor& old_features, const torch::Tensor& labels,
                                  int64_t num_classes) {
  TORCH_CHECK(old_features.dim() == 2 && labels.dim() == 1 &&
                  old_features.size(0) == labels.size(0),
              "PseudoOldClassifier: expected features [N, d] and labels [N], got ",
              old_features.sizes(), " and ", labels.sizes());
  TORCH_CHECK(labels.numel() == 0 ||
                  (labels.min().item<int64_t>() >= 0 && labels.max().item<int64_t>() < num_classes),
              "PseudoOldClassifier: labels must lie in [0, ", num_classes, ")");
  const torch::Tensor features = old_features.to(torch::kFloat32);
  torch::Tensor sums = torch::zeros({num_classes, features.size(1)}, features.options());
  sums.index_add_(0, labels, features);
  const torch::Tensor counts =
      torch::bincount(labels, /*weights=*/{}, num_classes).to(torch::kFloat32);
  return sums / counts.clamp_min(1).unsqueeze(1);
}

torch::Tensor CrossEntropy(const torch::Tensor& logits, const torch::Tensor& labels,
                           double smoothing) {
  return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(smoothing));
}

torch::Tensor InfluenceLoss(const torch::Tensor& features, const torch::Tensor& pseudo_classifier,
                            const torch::Tensor& labels, double smoothing) {
  const int64_t d_old = pseudo_classifier.size(1);
  TORCH_CHECK(features.dim() == 2 && features.size(1) >= d_old,
              "InfluenceLoss: features ", features.sizes(), " are narrower than the old classifier ",
              pseudo_classifier.sizes());
  return CrossEntropy(features.slice(1, 0, d_old).matmul(pseudo_classifier.t()), labels, smoothing);
}

Bt2LossTerms Bt2Loss(const Bt2Output& out, const torch::Tensor& labels,
                     const torch::Tensor& new_targets, const torch::Tensor& old_targets,
                     const torch::Tensor& pseudo_classifier, const Bt2LossWeights& weights) {
  TORCH_CHECK(new_targets.sizes() == out.f.sizes(), "Bt2Loss: new targets ", new_targets.sizes(),
              " do not match f ", out.f.sizes());
  TORCH_CHECK(old_targets.sizes() == out.compatible.sizes(), "Bt2Loss: old targets ",
              old_targets.sizes(), " do not match b ", out.compatible.sizes());
  Bt2LossTerms terms;
  const torch::Tensor b_hat =
      F::normalize(out.compatible, F::NormalizeFuncOptions().p(2).dim(1));
  terms.classification = CrossEntropy(out.logits, labels, weights.label_smoothing);
  terms.new_match = (1 - (out.f * new_targets).sum(1)).mean();
  terms.old_match = (1 - (b_hat * old_targets).sum(1)).mean();
  terms.influence = CrossEntropy(b_hat.matmul(pseudo_classifier.t()), labels, 0.0);
  terms.total = terms.classification + weights.new_match * terms.new_match +
                weights.old_match * terms.old_match + weights.influence * terms.influence;
  return terms;
}

}  // namespace repro::bt2
