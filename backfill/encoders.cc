#include "backfill/encoders.h"

#include <utility>

#include "common/train/classifier_trainer.h"

namespace repro::backfill {

torch::Tensor MaybeL2Normalize(const torch::Tensor& x, bool enabled) {
  if (!enabled) return x;
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

CountingBackbone::CountingBackbone(std::shared_ptr<Classifier> model, Normalization normalization,
                                   bool l2_normalize, int64_t batch_size)
    : model_(std::move(model)),
      normalization_(std::move(normalization)),
      l2_normalize_(l2_normalize),
      batch_size_(batch_size) {
  TORCH_CHECK(model_ != nullptr, "CountingBackbone: no model");
  TORCH_CHECK(batch_size_ >= 1, "CountingBackbone: batch size must be >= 1");
}

torch::Tensor CountingBackbone::Embed(const torch::Tensor& images) {
  passes_ += images.size(0);
  return MaybeL2Normalize(repro::Embed(*model_, images, batch_size_, normalization_),
                          l2_normalize_);
}

}  // namespace repro::backfill
