// Frozen per-frame backbones for MV-Former: a frame goes in, patch tokens (several layers
// concatenated along channels) and a global "CLS" vector come out (spec §2 "Backbone", §10.2).
//
// - SpriteCnn, the cpu-scale stand-in: conv3x3 1->32 s1, 32->64 s2, 64->64 s2, 64->64 s2, ReLU
//   after each; a 64x64 frame gives an 8x8 grid (N = 64 tokens). Tokens: the outputs of the last
//   three convs avg-pooled to 8x8 and concatenated (C = 3 x 64); CLS: the last conv's global
//   average (what its Fashion-MNIST classifier head reads). Trained at sprite scale (the 16x16
//   sprites of the videos), then frozen.
// - DinoVitB8, the paper's backbone: DINO ViT-B/8 at 224x224, tokens from blocks 3, 7 and 11
//   (before the final LayerNorm, CLS dropped; C = 2304), CLS from the final LayerNorm. Its weights
//   are a LibTorch archive of timm's vit_base_patch8_224.dino (not shipped: pass their path).
#ifndef MVFORMER_BACKBONE_H_
#define MVFORMER_BACKBONE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/data/fashion_mnist.h"
#include "common/data/labeled_images.h"
#include "common/models/classifier.h"
#include "common/models/vit.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"

namespace repro::mvformer {

struct FrameFeatures {
  torch::Tensor tokens;  // [B, N, C] patch tokens, layers concatenated along C (first layer first)
  torch::Tensor cls;     // [B, C_cls]
};

// A frozen feature extractor; Extract runs in eval mode under NoGradGuard.
class FrameBackbone {
 public:
  virtual ~FrameBackbone() = default;
  // frames: [B, C, H, W] float in [0, 1] (grey or RGB) -> features.
  virtual FrameFeatures Extract(const torch::Tensor& frames) = 0;
  virtual int64_t grid_height() const = 0;
  virtual int64_t grid_width() const = 0;
  // Channels of each feature layer, in token order (sum = C).
  virtual std::vector<int64_t> layer_channels() const = 0;
  virtual int64_t cls_channels() const = 0;
};

// ---------------------------------------------------------------------------------------------
// The cpu-scale stand-in.

struct SpriteCnnOptions {
  TORCH_ARG(int64_t, in_channels) = 1;
  TORCH_ARG(int64_t, num_classes) = 10;
};

class SpriteCnnImpl : public Classifier {
 public:
  explicit SpriteCnnImpl(const SpriteCnnOptions& options = {});

  // x: [B, 1, H, W] -> the ReLU outputs of conv2, conv3, conv4 ([B, 64, H/2, W/2], [.., H/4, W/4],
  // [.., H/8, W/8]).
  std::vector<torch::Tensor> feature_maps(const torch::Tensor& x);
  // x -> the global average of conv4's output [B, 64] (the "CLS" vector).
  torch::Tensor features(const torch::Tensor& x) override;
  // [B, 64] -> logits [B, num_classes].
  torch::Tensor logits_from_features(const torch::Tensor& f) override;
  int64_t feature_dim() const override { return 64; }
  int64_t num_classes() const override { return options_.num_classes(); }

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  SpriteCnnOptions options_;
};
TORCH_MODULE(SpriteCnn);

// Fashion-MNIST images [N, 1, 28, 28] rendered as the videos render their sprites: area-downsampled
// to 16x16, scaled by U(0.7, 1), max-composited at the centre of a 20x20 canvas of background
// U(0, 0.2) plus N(0, 0.03^2) noise. Deterministic in `seed`.
LabeledImages RenderSpriteImages(const LabeledImages& images, uint64_t seed);

struct SpriteCnnTraining {
  int64_t epochs = 2;
  int64_t batch_size = 128;
  double lr = 0.05;
  int64_t max_train_images = 0;  // 0: all 60,000
  uint64_t seed = 0;
  std::string checkpoint_path;  // the model cache: a finished run there is loaded, not retrained
  std::string config_text;      // what determines the model (stored in the checkpoint)
  int64_t log_every = 0;
};

struct SpriteCnnReport {
  double test_accuracy = 0;  // on the rendered Fashion-MNIST test split
  double train_seconds = 0;  // 0 when loaded from the cache
  bool loaded_from_cache = false;
};

// Trains (or loads) `model` on sprite-rendered Fashion-MNIST (SGD, Nesterov momentum 0.9, weight
// decay 5e-4, cosine, random 2-px translations and flips) and measures its test accuracy.
absl::StatusOr<SpriteCnnReport> TrainSpriteCnn(SpriteCnn& model, const FashionMnist& data,
                                               const SpriteCnnTraining& training);

// The frozen stand-in backbone around a trained SpriteCnn; `grid` is the token grid side (8 for a
// 64x64 frame).
std::unique_ptr<FrameBackbone> MakeSpriteCnnBackbone(SpriteCnn model, int64_t grid);

// ---------------------------------------------------------------------------------------------
// The paper's backbone.

// ViT-B/8 options as DINO's (224x224, 3 channels, dim 768, 12 blocks, 12 heads, MLP 3072).
ViTOptions DinoVitB8Options();

// Loads the weights (torch::load of a ViT(DinoVitB8Options()) archive). NotFound when the file is
// missing, DataLoss when it does not hold a ViT-B/8.
absl::StatusOr<std::unique_ptr<FrameBackbone>> LoadDinoVitB8Backbone(const std::string& weights,
                                                                      std::vector<int64_t> blocks);

}  // namespace repro::mvformer

#endif  // MVFORMER_BACKBONE_H_
