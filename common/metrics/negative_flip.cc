#include "common/metrics/negative_flip.h"

#include <cstdint>

#include "common/port/torch.h"

namespace repro {
namespace {

void CheckFlags(const torch::Tensor& reference, const torch::Tensor& current) {
  TORCH_CHECK(reference.dim() == 1 && reference.scalar_type() == torch::kBool,
              "flip rate: reference must be a [Q] bool tensor, got ", reference.sizes(), " ",
              reference.scalar_type());
  TORCH_CHECK(current.sizes() == reference.sizes() && current.scalar_type() == torch::kBool,
              "flip rate: current must be a [", reference.size(0), "] bool tensor, got ",
              current.sizes(), " ", current.scalar_type());
  TORCH_CHECK(reference.size(0) > 0, "flip rate: no queries");
}

}  // namespace

torch::Tensor Top1Correct(const torch::Tensor& ranked_ids, const torch::Tensor& query_labels,
                          const torch::Tensor& gallery_labels) {
  TORCH_CHECK(ranked_ids.dim() == 2 && ranked_ids.size(1) >= 1 &&
                  ranked_ids.scalar_type() == torch::kInt64,
              "Top1Correct: ranked_ids must be [Q, k >= 1] int64, got ", ranked_ids.sizes(), " ",
              ranked_ids.scalar_type());
  TORCH_CHECK(query_labels.dim() == 1 && query_labels.size(0) == ranked_ids.size(0),
              "Top1Correct: query_labels must be [", ranked_ids.size(0), "], got ",
              query_labels.sizes());
  TORCH_CHECK(gallery_labels.dim() == 1, "Top1Correct: gallery_labels must be [G], got ",
              gallery_labels.sizes());
  const torch::Tensor first = ranked_ids.select(1, 0).cpu();
  const int64_t num_gallery = gallery_labels.size(0);
  TORCH_CHECK(first.numel() == 0 || first.max().item<int64_t>() < num_gallery,
              "Top1Correct: a ranked id is >= the gallery size ", num_gallery);
  TORCH_CHECK(first.numel() == 0 || first.min().item<int64_t>() >= -1,
              "Top1Correct: ranked ids must be gallery indices or -1");
  const torch::Tensor valid = first >= 0;
  const torch::Tensor labels =
      gallery_labels.cpu().to(torch::kInt64).index_select(0, first.clamp_min(0));
  return valid & (labels == query_labels.cpu().to(torch::kInt64));
}

double NegativeFlipRate(const torch::Tensor& reference, const torch::Tensor& current) {
  CheckFlags(reference, current);
  return (reference & current.logical_not()).to(torch::kFloat64).mean().item<double>();
}

double PositiveFlipRate(const torch::Tensor& reference, const torch::Tensor& current) {
  CheckFlags(reference, current);
  return (reference.logical_not() & current).to(torch::kFloat64).mean().item<double>();
}

}  // namespace repro
