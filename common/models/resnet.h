// Residual networks (He et al., "Deep Residual Learning for Image Recognition", 2016) in two sizes
// from one definition: the small CIFAR-style nets the cpu-scale tables train on Fashion-MNIST
// (3x3 stem, no pooling, e.g. widths 16/32/64 with one basic block per stage) and the paper-scale
// ResNet-18/50 (7x7 stride-2 stem + max-pool, widths 64/128/256/512).
//
//   ResNet net(ResNetOptions().in_channels(1).num_classes(10).widths({16, 32, 64})
//                  .blocks_per_stage({1, 1, 1}));
//   torch::Tensor logits = net->forward(images);  // images [B, 1, 28, 28] -> [B, 10]
//
// features(x) is the pooled backbone output, or, with embedding_dim > 0, a linear embedding of it
// (the 128-d embedding of the compatibility papers).
#ifndef COMMON_MODELS_RESNET_H_
#define COMMON_MODELS_RESNET_H_

#include <cstdint>
#include <vector>

#include "common/models/classifier.h"
#include "common/port/torch.h"

namespace repro {

enum class ResNetBlock {
  kBasic,       // two 3x3 convs; output width = stage width
  kBottleneck,  // 1x1 -> 3x3 -> 1x1; output width = 4 x stage width
};

enum class ResNetStem {
  kCifar,     // 3x3 conv, stride 1, no pooling (small images)
  kImageNet,  // 7x7 conv, stride 2, then 3x3 max-pool with stride 2
};

struct ResNetOptions {
  TORCH_ARG(int64_t, in_channels) = 3;
  TORCH_ARG(int64_t, num_classes) = 10;
  // Width of each stage; the stem has widths[0] channels.
  TORCH_ARG(std::vector<int64_t>, widths) = std::vector<int64_t>{16, 32, 64};
  // Number of residual blocks in each stage (same length as widths).
  TORCH_ARG(std::vector<int64_t>, blocks_per_stage) = std::vector<int64_t>{1, 1, 1};
  // Stride of the first block of each stage; empty means 1 for the first stage and 2 for the rest.
  TORCH_ARG(std::vector<int64_t>, strides) = std::vector<int64_t>{};
  TORCH_ARG(ResNetBlock, block) = ResNetBlock::kBasic;
  TORCH_ARG(ResNetStem, stem) = ResNetStem::kCifar;
  // 0: features are the pooled backbone output; > 0: a linear layer maps it to this many dims.
  TORCH_ARG(int64_t, embedding_dim) = 0;
  TORCH_ARG(bool, classifier_bias) = true;
  // Zero-initialise the last BatchNorm of each residual branch (Goyal et al. 2017), so each block
  // starts as the identity.
  TORCH_ARG(bool, zero_init_residual) = false;
};

// The paper-scale ImageNet ResNet-18 (basic blocks 2-2-2-2, widths 64..512, 512-d pooled output).
ResNetOptions ResNet18Options(int64_t num_classes, int64_t embedding_dim = 0);
// The paper-scale ImageNet ResNet-50 (bottlenecks 3-4-6-3, widths 64..512, 2048-d pooled output).
ResNetOptions ResNet50Options(int64_t num_classes, int64_t embedding_dim = 0);

// Basic residual block: y = ReLU(BN(conv3x3(ReLU(BN(conv3x3(x))))) + shortcut(x)), where the
// shortcut is the identity or, when the shape changes, BN(conv1x1 with stride).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t width, int64_t stride, bool zero_init_residual);
  // x: [B, in_channels, H, W] -> [B, width, H / stride, W / stride].
  torch::Tensor forward(const torch::Tensor& x);
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};
};
TORCH_MODULE(BasicBlock);

// Bottleneck block (stride on the 3x3 conv, as torchvision's "ResNet v1.5"):
// y = ReLU(BN(conv1x1(ReLU(BN(conv3x3(ReLU(BN(conv1x1(x))))))) + shortcut(x)).
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in_channels, int64_t width, int64_t stride, bool zero_init_residual);
  // x: [B, in_channels, H, W] -> [B, 4 * width, H / stride, W / stride].
  torch::Tensor forward(const torch::Tensor& x);
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public Classifier {
 public:
  explicit ResNetImpl(const ResNetOptions& options);

  // x: [B, in_channels, H, W] -> [B, feature_dim()]: stem, stages, global average pooling, then
  // the optional linear embedding.
  torch::Tensor features(const torch::Tensor& x) override;
  // f: [B, feature_dim()] -> logits [B, num_classes] (linear classifier).
  torch::Tensor logits_from_features(const torch::Tensor& f) override;
  // x: [B, in_channels, H, W] -> logits [B, num_classes].
  torch::Tensor forward(const torch::Tensor& x) override {
    return logits_from_features(features(x));
  }

  int64_t feature_dim() const override { return feature_dim_; }
  int64_t num_classes() const override { return options_.num_classes(); }
  // Width of the pooled backbone output (before the optional embedding layer).
  int64_t backbone_dim() const { return backbone_dim_; }
  const ResNetOptions& options() const { return options_; }

 private:
  ResNetOptions options_;
  int64_t backbone_dim_ = 0;
  int64_t feature_dim_ = 0;
  torch::nn::Sequential stem_{nullptr};
  torch::nn::Sequential stages_{nullptr};
  torch::nn::Linear embedding_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace repro

#endif  // COMMON_MODELS_RESNET_H_
