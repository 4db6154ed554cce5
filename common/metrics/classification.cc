#include "common/metrics/classification.h"

#include <limits>

namespace repro {

double TopKAccuracy(const torch::Tensor& logits, const torch::Tensor& labels, int64_t k) {
  TORCH_CHECK(logits.dim() == 2, "logits must be [N, C], got ", logits.sizes());
  TORCH_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), "labels must be [",
              logits.size(0), "], got ", labels.sizes());
  TORCH_CHECK(!labels.is_floating_point(), "labels must be integers, got ", labels.scalar_type());
  const int64_t n = logits.size(0), classes = logits.size(1);
  TORCH_CHECK(k >= 1 && k <= classes, "top-k accuracy needs 1 <= k <= ", classes, ", got ", k);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  torch::NoGradGuard no_grad;
  torch::Tensor x = logits.detach().to(torch::kCPU, torch::kFloat32);
  torch::Tensor y = labels.to(torch::kCPU, torch::kInt64).unsqueeze(1);  // [N, 1]
  TORCH_CHECK(y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < classes,
              "labels must be in [0, ", classes, ")");
  TORCH_CHECK(torch::isfinite(x).all().item<bool>(), "logits contain NaN or Inf");
  torch::Tensor target = x.gather(1, y);                       // [N, 1]
  torch::Tensor before = torch::arange(classes).unsqueeze(0) < y;  // [N, C]
  torch::Tensor rank = (x > target).sum(1) + ((x == target) & before).sum(1);
  return (rank < k).to(torch::kFloat64).mean().item<double>();
}

}  // namespace repro
