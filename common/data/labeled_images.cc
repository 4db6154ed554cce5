#include "common/data/labeled_images.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "common/port/torch.h"

namespace repro {
namespace {

void CheckLabeledImages(const LabeledImages& data) {
  TORCH_CHECK(data.images.defined() && data.labels.defined(),
              "LabeledImages: images and labels must both be set");
  TORCH_CHECK(data.labels.dim() == 1 && data.labels.scalar_type() == torch::kInt64,
              "LabeledImages: labels must be a 1-D int64 tensor, got ", data.labels.sizes(), " ",
              data.labels.scalar_type());
  TORCH_CHECK(data.images.dim() >= 1 && data.images.size(0) == data.labels.size(0),
              "LabeledImages: ", data.images.size(0), " images but ", data.labels.size(0),
              " labels");
}

}  // namespace

LabeledImages Select(const LabeledImages& data, const torch::Tensor& index) {
  CheckLabeledImages(data);
  TORCH_CHECK(index.dim() == 1 && index.scalar_type() == torch::kInt64,
              "Select: index must be a 1-D int64 tensor, got ", index.sizes(), " ",
              index.scalar_type());
  const torch::Tensor idx = index.to(data.labels.device());
  return LabeledImages{data.images.index_select(0, idx.to(data.images.device())),
                       data.labels.index_select(0, idx)};
}

LabeledImages FilterClasses(const LabeledImages& data, const std::vector<int64_t>& classes) {
  CheckLabeledImages(data);
  const torch::Tensor wanted =
      torch::tensor(classes, torch::TensorOptions().dtype(torch::kInt64)).to(data.labels.device());
  const torch::Tensor keep = torch::isin(data.labels, wanted);
  return Select(data, keep.nonzero().squeeze(1));
}

LabeledImages TakeFractionPerClass(const LabeledImages& data, double fraction, uint64_t seed) {
  CheckLabeledImages(data);
  TORCH_CHECK(fraction >= 0.0 && fraction <= 1.0,
              "TakeFractionPerClass: fraction must be in [0, 1], got ", fraction);
  const torch::Tensor labels = data.labels.cpu();
  const int64_t n = labels.size(0);
  if (n == 0) return Select(data, torch::empty({0}, torch::kInt64));

  // class_of[i]: index of item i's label among the sorted distinct labels.
  auto [classes, class_of, counts] =
      at::_unique2(labels, /*sorted=*/true, /*return_inverse=*/true, /*return_counts=*/true);

  // Sorting by (class, random rank) groups the classes in order and shuffles each one.
  auto generator = at::detail::createCPUGenerator(seed);
  const torch::Tensor rank = torch::randperm(n, generator, torch::kInt64);
  const torch::Tensor order = std::get<1>(torch::sort(class_of * n + rank));
  const torch::Tensor sorted_class = class_of.index_select(0, order);

  // Position of each sorted item inside its class; keep the first round(fraction * count).
  const torch::Tensor class_start = counts.cumsum(0) - counts;
  const torch::Tensor position =
      torch::arange(n, torch::kInt64) - class_start.index_select(0, sorted_class);
  std::vector<int64_t> take(counts.size(0));
  const auto count = counts.accessor<int64_t, 1>();
  for (int64_t c = 0; c < counts.size(0); ++c) {
    take[c] = std::llround(fraction * static_cast<double>(count[c]));
  }
  const torch::Tensor take_t = torch::tensor(take, torch::kInt64);
  const torch::Tensor keep = position < take_t.index_select(0, sorted_class);
  return Select(data, order.masked_select(keep));
}

}  // namespace repro
