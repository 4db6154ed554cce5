// An in-memory labelled image set: the common currency between the data readers (Fashion-MNIST,
// CIFAR, ImageFolder) and the trainers. Small data sets live in memory whole, so a training step
// reads its batch with one index_select and the data path costs almost nothing.
#ifndef COMMON_DATA_LABELED_IMAGES_H_
#define COMMON_DATA_LABELED_IMAGES_H_

#include <cstdint>
#include <vector>

#include "common/port/torch.h"

namespace repro {

struct LabeledImages {
  torch::Tensor images;  // [N, C, H, W] float32 in [0, 1]
  torch::Tensor labels;  // [N] int64

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// The items whose label is in `classes` (labels are kept as they are).
LabeledImages FilterClasses(const LabeledImages& data, const std::vector<int64_t>& classes);

// A seeded random subset with round(fraction * N) items of each class (order: by class, then
// random), e.g. "50% of the images of classes 0-4" for an old model.
LabeledImages TakeFractionPerClass(const LabeledImages& data, double fraction, uint64_t seed);

// The rows `index` ([M] int64) of `data`.
LabeledImages Select(const LabeledImages& data, const torch::Tensor& index);

}  // namespace repro

#endif  // COMMON_DATA_LABELED_IMAGES_H_
