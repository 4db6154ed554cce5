#include "mvformer/scl_loss.h"

namespace repro::mvformer {
namespace {

// a / b with NaN (0 / 0) replaced by 0, as CARL's safe_div.
torch::Tensor SafeDiv(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor out = a / b;
  return torch::where(torch::isnan(out), torch::zeros_like(out), out);
}

}  // namespace

torch::Tensor SequenceContrastiveLoss(const torch::Tensor& embeddings, const torch::Tensor& steps,
                                      const torch::Tensor& lengths, const torch::Tensor& valid,
                                      const SclOptions& options) {
  TORCH_CHECK(embeddings.dim() == 4 && embeddings.size(1) == 2,
              "SequenceContrastiveLoss: expected embeddings [B, 2, T, D], got ", embeddings.sizes());
  const int64_t b = embeddings.size(0), views = 2, t = embeddings.size(2), d = embeddings.size(3);
  TORCH_CHECK(steps.sizes() == torch::IntArrayRef({b, views, t}) && valid.sizes() == steps.sizes() &&
                  lengths.sizes() == torch::IntArrayRef({b, views}),
              "SequenceContrastiveLoss: steps/valid must be [B, 2, T] and lengths [B, 2]");
  TORCH_CHECK(options.temperature > 0 && options.label_variance > 0,
              "SequenceContrastiveLoss: temperature and label_variance must be > 0");
  const int64_t n = b * views * t;
  const torch::Tensor e = embeddings.reshape({n, d});
  const torch::Tensor s = steps.reshape({n}).to(e.scalar_type());
  const torch::Tensor len =
      lengths.unsqueeze(-1).expand({b, views, t}).reshape({n}).to(e.scalar_type());
  const torch::Tensor m = valid.reshape({n}).to(e.scalar_type());
  const torch::Tensor input_masks = m.unsqueeze(1) * m.unsqueeze(0);  // [n, n]
  const torch::Tensor pair_valid = input_masks.eq(0).logical_not();

  const torch::Tensor logits = e.matmul(e.t()) / options.temperature;
  const torch::Tensor distance =
      (s.unsqueeze(1) / len.unsqueeze(1) * len.unsqueeze(0) - s.unsqueeze(0)).abs().masked_fill(
          pair_valid.logical_not(), 1e6);
  // Row r = (video, view, frame): the only negatives are the other view of the same video.
  const torch::Tensor index = torch::arange(n, torch::kInt64);
  const torch::Tensor video = index.div(views * t, "floor"), view = index.div(t, "floor").remainder(views);
  const torch::Tensor other_view =
      (video.unsqueeze(1).eq(video.unsqueeze(0)) & view.unsqueeze(1).ne(view.unsqueeze(0))).to(e.scalar_type());
  const torch::Tensor weight = other_view.masked_fill(pair_valid.logical_not(), 1e-6);

  const torch::Tensor prior = torch::exp(-distance.pow(2) / (2 * options.label_variance)) * other_view;
  const torch::Tensor label = SafeDiv(prior, prior.sum(1, /*keepdim=*/true));

  const torch::Tensor exp_logits = torch::exp(logits);
  const torch::Tensor sum_negative = (weight * exp_logits).sum(1, /*keepdim=*/true);
  const torch::Tensor log_q = torch::log(SafeDiv(exp_logits, sum_negative) + 1e-6);
  // F.kl_div(log_q, label, reduction="none") = label * (log label - log_q), 0 where label = 0.
  const torch::Tensor kl = torch::xlogy(label, label) - label * log_q;
  return (kl * input_masks).sum() / m.sum();
}

}  // namespace repro::mvformer
