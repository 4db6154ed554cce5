// Query and gallery encoding of each method, with the backbone forward passes counted rather than
// declared: a CountingBackbone adds the number of images to its counter every time it runs, so
// "rank merge needs two query passes, the reverse transformation one" (backfill.md §2.1-2.2) is a
// measurement. ψ and ρ are small heads on an embedding and are not backbone passes.
#ifndef BACKFILL_ENCODERS_H_
#define BACKFILL_ENCODERS_H_

#include <cstdint>
#include <memory>

#include "common/models/classifier.h"
#include "common/port/torch.h"
#include "common/train/augment.h"

namespace repro::backfill {

class CountingBackbone {
 public:
  CountingBackbone(std::shared_ptr<Classifier> model, Normalization normalization,
                   bool l2_normalize, int64_t batch_size);

  // Embeddings [N, D] of images [N, C, H, W] (eval mode, no gradients), L2-normalised when
  // configured; adds N to passes().
  torch::Tensor Embed(const torch::Tensor& images);

  int64_t passes() const { return passes_; }
  void ResetPasses() { passes_ = 0; }
  Classifier& model() { return *model_; }
  int64_t dim() const { return model_->feature_dim(); }

 private:
  std::shared_ptr<Classifier> model_;
  Normalization normalization_;
  bool l2_normalize_;
  int64_t batch_size_;
  int64_t passes_ = 0;
};

// Row-wise L2 normalisation when `enabled`.
torch::Tensor MaybeL2Normalize(const torch::Tensor& x, bool enabled);

}  // namespace repro::backfill

#endif  // BACKFILL_ENCODERS_H_
