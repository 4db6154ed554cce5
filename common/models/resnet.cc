#include "common/models/resnet.h"

#include <string>

namespace repro {
namespace {

namespace nn = torch::nn;

nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// BN(conv1x1 with stride) when the block changes shape, else an empty (identity) Sequential.
nn::Sequential Shortcut(int64_t in, int64_t out, int64_t stride) {
  nn::Sequential shortcut;
  if (stride != 1 || in != out) {
    shortcut->push_back(Conv(in, out, 1, stride));
    shortcut->push_back(nn::BatchNorm2d(out));
  }
  return shortcut;
}

torch::Tensor ApplyShortcut(nn::Sequential& shortcut, const torch::Tensor& x) {
  return shortcut->is_empty() ? x : shortcut->forward(x);
}

}  // namespace

ResNetOptions ResNet18Options(int64_t num_classes, int64_t embedding_dim) {
  return ResNetOptions()
      .in_channels(3)
      .num_classes(num_classes)
      .widths({64, 128, 256, 512})
      .blocks_per_stage({2, 2, 2, 2})
      .block(ResNetBlock::kBasic)
      .stem(ResNetStem::kImageNet)
      .embedding_dim(embedding_dim);
}

ResNetOptions ResNet50Options(int64_t num_classes, int64_t embedding_dim) {
  return ResNetOptions()
      .in_channels(3)
      .num_classes(num_classes)
      .widths({64, 128, 256, 512})
      .blocks_per_stage({3, 4, 6, 3})
      .block(ResNetBlock::kBottleneck)
      .stem(ResNetStem::kImageNet)
      .embedding_dim(embedding_dim);
}

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t width, int64_t stride,
                               bool zero_init_residual)
    : out_channels_(width) {
  conv1_ = register_module("conv1", Conv(in_channels, width, 3, stride));
  bn1_ = register_module("bn1", nn::BatchNorm2d(width));
  conv2_ = register_module("conv2", Conv(width, width, 3, 1));
  bn2_ = register_module("bn2", nn::BatchNorm2d(width));
  shortcut_ = register_module("shortcut", Shortcut(in_channels, width, stride));
  if (zero_init_residual) {
    torch::NoGradGuard no_grad;
    bn2_->weight.zero_();
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn1_->forward(conv1_->forward(x)).relu_();
  // In place: BatchNorm's backward does not need its output, so the sum can reuse its buffer.
  return bn2_->forward(conv2_->forward(y)).add_(ApplyShortcut(shortcut_, x)).relu_();
}

BottleneckImpl::BottleneckImpl(int64_t in_channels, int64_t width, int64_t stride,
                               bool zero_init_residual)
    : out_channels_(width * kExpansion) {
  conv1_ = register_module("conv1", Conv(in_channels, width, 1, 1));
  bn1_ = register_module("bn1", nn::BatchNorm2d(width));
  conv2_ = register_module("conv2", Conv(width, width, 3, stride));
  bn2_ = register_module("bn2", nn::BatchNorm2d(width));
  conv3_ = register_module("conv3", Conv(width, out_channels_, 1, 1));
  bn3_ = register_module("bn3", nn::BatchNorm2d(out_channels_));
  shortcut_ = register_module("shortcut", Shortcut(in_channels, out_channels_, stride));
  if (zero_init_residual) {
    torch::NoGradGuard no_grad;
    bn3_->weight.zero_();
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn1_->forward(conv1_->forward(x)).relu_();
  y = bn2_->forward(conv2_->forward(y)).relu_();
  return bn3_->forward(conv3_->forward(y)).add_(ApplyShortcut(shortcut_, x)).relu_();
}

ResNetImpl::ResNetImpl(const ResNetOptions& options) : options_(options) {
  const auto& widths = options_.widths();
  const auto& blocks = options_.blocks_per_stage();
  TORCH_CHECK(!widths.empty(), "ResNet: widths must not be empty");
  TORCH_CHECK(blocks.size() == widths.size(), "ResNet: blocks_per_stage has ", blocks.size(),
              " entries but widths has ", widths.size());
  TORCH_CHECK(options_.strides().empty() || options_.strides().size() == widths.size(),
              "ResNet: strides has ", options_.strides().size(), " entries but widths has ",
              widths.size());
  TORCH_CHECK(options_.in_channels() > 0 && options_.num_classes() > 0,
              "ResNet: in_channels and num_classes must be positive");
  TORCH_CHECK(options_.embedding_dim() >= 0, "ResNet: embedding_dim must be >= 0");

  stem_ = nn::Sequential();
  if (options_.stem() == ResNetStem::kCifar) {
    stem_->push_back(Conv(options_.in_channels(), widths[0], 3, 1));
    stem_->push_back(nn::BatchNorm2d(widths[0]));
    stem_->push_back(nn::ReLU(nn::ReLUOptions(/*inplace=*/true)));
  } else {
    stem_->push_back(Conv(options_.in_channels(), widths[0], 7, 2));
    stem_->push_back(nn::BatchNorm2d(widths[0]));
    stem_->push_back(nn::ReLU(nn::ReLUOptions(/*inplace=*/true)));
    stem_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  }
  register_module("stem", stem_);

  stages_ = nn::Sequential();
  int64_t channels = widths[0];
  for (size_t s = 0; s < widths.size(); ++s) {
    TORCH_CHECK(widths[s] > 0 && blocks[s] > 0, "ResNet: stage ", s,
                " needs a positive width and block count");
    const int64_t stage_stride =
        options_.strides().empty() ? (s == 0 ? 1 : 2) : options_.strides()[s];
    for (int64_t b = 0; b < blocks[s]; ++b) {
      const int64_t stride = b == 0 ? stage_stride : 1;
      if (options_.block() == ResNetBlock::kBasic) {
        BasicBlock block(channels, widths[s], stride, options_.zero_init_residual());
        channels = block->out_channels();
        stages_->push_back(block);
      } else {
        Bottleneck block(channels, widths[s], stride, options_.zero_init_residual());
        channels = block->out_channels();
        stages_->push_back(block);
      }
    }
  }
  register_module("stages", stages_);
  backbone_dim_ = channels;
  feature_dim_ = backbone_dim_;
  if (options_.embedding_dim() > 0) {
    embedding_ = register_module("embedding", nn::Linear(backbone_dim_, options_.embedding_dim()));
    feature_dim_ = options_.embedding_dim();
  }
  classifier_ = register_module(
      "classifier",
      nn::Linear(nn::LinearOptions(feature_dim_, options_.num_classes()).bias(
          options_.classifier_bias())));

  // He initialisation for the convolutions (fan-out, as torchvision), unit BatchNorm.
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
}

torch::Tensor ResNetImpl::features(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options_.in_channels(),
              "ResNet: expected images [B, ", options_.in_channels(), ", H, W], got ", x.sizes());
  torch::Tensor y = stages_->forward(stem_->forward(x));
  y = y.mean({2, 3});  // global average pooling: [B, C, h, w] -> [B, C]
  if (embedding_) y = embedding_->forward(y);
  return y;
}

torch::Tensor ResNetImpl::logits_from_features(const torch::Tensor& f) {
  return classifier_->forward(f);
}

}  // namespace repro
