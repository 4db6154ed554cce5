// Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", 2021): non-overlapping
// patches embedded by a strided convolution, a learned CLS token and learned position embeddings,
// a pre-norm transformer encoder with a final LayerNorm, and a linear head on the CLS token.
//
//   ViT vit(ViTOptions().image_size(28).in_channels(1).patch_size(7).dim(48).depth(3).heads(4)
//               .mlp_dim(96).num_classes(10));      // the tiny cpu-scale ViT
//   torch::Tensor logits = vit->forward(images);     // [B, 1, 28, 28] -> [B, 10]
//   torch::Tensor cls = vit->features(images);       // [B, 48]
#ifndef COMMON_MODELS_VIT_H_
#define COMMON_MODELS_VIT_H_

#include <cstdint>

#include "common/models/classifier.h"
#include "common/models/transformer.h"
#include "common/port/torch.h"

namespace repro {

struct ViTOptions {
  TORCH_ARG(int64_t, image_size) = 28;  // square images, a multiple of patch_size
  TORCH_ARG(int64_t, in_channels) = 1;
  TORCH_ARG(int64_t, patch_size) = 7;
  TORCH_ARG(int64_t, dim) = 48;
  TORCH_ARG(int64_t, depth) = 3;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, mlp_dim) = 96;  // 0 means 4 * dim
  TORCH_ARG(int64_t, num_classes) = 10;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(double, attention_dropout) = 0.0;
  TORCH_ARG(double, layer_norm_eps) = 1e-6;
};

// The paper-scale ViT-B/16 (224x224 RGB, 16x16 patches, dim 768, depth 12, 12 heads, MLP 3072).
ViTOptions ViTB16Options(int64_t num_classes);

class ViTImpl : public Classifier {
 public:
  explicit ViTImpl(const ViTOptions& options);

  // x: [B, in_channels, S, S] -> the normalised CLS token [B, dim]:
  // z0 = [cls; patches(x) W_e] + E_pos, zL = Encoder(z0), features = LN(zL[:, 0]).
  torch::Tensor features(const torch::Tensor& x) override;
  // f: [B, dim] -> logits [B, num_classes] (linear head).
  torch::Tensor logits_from_features(const torch::Tensor& f) override;
  // x: [B, in_channels, S, S] -> logits [B, num_classes].
  torch::Tensor forward(const torch::Tensor& x) override {
    return logits_from_features(features(x));
  }
  // x: [B, in_channels, S, S] -> all output tokens [B, 1 + (S / patch)^2, dim] (CLS first).
  torch::Tensor tokens(const torch::Tensor& x);

  int64_t feature_dim() const override { return options_.dim(); }
  int64_t num_classes() const override { return options_.num_classes(); }
  int64_t num_patches() const { return num_patches_; }
  const ViTOptions& options() const { return options_; }

  torch::nn::Conv2d patch_embedding{nullptr};  // kernel = stride = patch_size
  torch::Tensor cls_token;                     // [1, 1, dim]
  torch::Tensor position_embedding;            // [1, 1 + num_patches, dim]
  TransformerEncoder encoder{nullptr};         // ends with the final LayerNorm
  torch::nn::Linear head{nullptr};

 private:
  ViTOptions options_;
  int64_t num_patches_ = 0;
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(ViT);

}  // namespace repro

#endif  // COMMON_MODELS_VIT_H_
