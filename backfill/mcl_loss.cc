#include "backfill/mcl_loss.h"

#include <limits>
#include <string>
#include <vector>

#include "common/port/torch.h"

namespace repro::backfill {
namespace {

// Squared L2 distances [B, B] between the rows of a and b.
torch::Tensor SquaredDistances(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.pow(2).sum(1, true) + b.pow(2).sum(1).unsqueeze(0) - 2 * a.matmul(b.t())).clamp_min(0);
}

// −(1/N) Σ_i log(Σ_pos exp(logits) / Σ_{j≠i} exp(logits)) for logits [B, M] whose columns are
// `copies` stacked [B, B] blocks (one per space); `positive` and `others` are the [B, B] masks of
// one block.
torch::Tensor SoftmaxLoss(const std::vector<torch::Tensor>& logit_blocks,
                          const torch::Tensor& positive, const torch::Tensor& others) {
  const double kMinusInf = -std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> pos_blocks, all_blocks;
  for (const torch::Tensor& block : logit_blocks) {
    pos_blocks.push_back(block.masked_fill(positive.logical_not(), kMinusInf));
    all_blocks.push_back(block.masked_fill(others.logical_not(), kMinusInf));
  }
  const torch::Tensor numerator = torch::cat(pos_blocks, 1).logsumexp(1);
  const torch::Tensor denominator = torch::cat(all_blocks, 1).logsumexp(1);
  const torch::Tensor has_positive = positive.any(1);
  const int64_t anchors = has_positive.sum().item<int64_t>();
  if (anchors == 0) return logit_blocks.front().sum() * 0.0;
  return -(numerator - denominator).masked_select(has_positive).sum() / static_cast<double>(anchors);
}

}  // namespace

std::string MclVariantName(MclVariant variant) {
  switch (variant) {
    case MclVariant::kOldOnly:
      return "old-only";
    case MclVariant::kNewOnly:
      return "new-only";
    case MclVariant::kSeparate:
      return "separate";
    case MclVariant::kJoint:
      return "joint";
  }
  return "unknown";
}

torch::Tensor MclLoss(const torch::Tensor& query_old, const torch::Tensor& gallery_old,
                      const torch::Tensor& query_new, const torch::Tensor& gallery_new,
                      const torch::Tensor& labels, const MclLossOptions& options) {
  TORCH_CHECK(query_old.dim() == 2 && gallery_old.sizes() == query_old.sizes(),
              "MclLoss: old-space query and gallery must both be [B, d_old], got ",
              query_old.sizes(), " and ", gallery_old.sizes());
  TORCH_CHECK(query_new.dim() == 2 && gallery_new.sizes() == query_new.sizes(),
              "MclLoss: new-space query and gallery must both be [B, d_new], got ",
              query_new.sizes(), " and ", gallery_new.sizes());
  const int64_t batch = query_old.size(0);
  TORCH_CHECK(query_new.size(0) == batch && labels.dim() == 1 && labels.size(0) == batch,
              "MclLoss: batch sizes differ: ", batch, " old, ", query_new.size(0), " new, ",
              labels.sizes(), " labels");
  TORCH_CHECK(options.temperature > 0, "MclLoss: temperature must be > 0, got ",
              options.temperature);

  const torch::Tensor others =
      torch::eye(batch, torch::TensorOptions().dtype(torch::kBool)).logical_not();
  const torch::Tensor positive = (labels.unsqueeze(1) == labels.unsqueeze(0)) & others;
  const double inv_tau = 1.0 / options.temperature;
  auto logits_old = [&] { return SquaredDistances(query_old, gallery_old) * -inv_tau; };
  auto logits_new = [&] { return SquaredDistances(query_new, gallery_new) * -inv_tau; };

  switch (options.variant) {
    case MclVariant::kOldOnly:
      return SoftmaxLoss({logits_old()}, positive, others);
    case MclVariant::kNewOnly:
      return SoftmaxLoss({logits_new()}, positive, others);
    case MclVariant::kSeparate:
      return SoftmaxLoss({logits_old()}, positive, others) +
             SoftmaxLoss({logits_new()}, positive, others);
    case MclVariant::kJoint:
      return SoftmaxLoss({logits_old(), logits_new()}, positive, others);
  }
  TORCH_CHECK(false, "MclLoss: unknown variant");
}

}  // namespace repro::backfill
