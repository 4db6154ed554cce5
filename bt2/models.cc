#include "bt2/models.h"

#include <cmath>
#include <vector>

namespace repro::bt2 {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

torch::Tensor Normalize(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(1));
}

}  // namespace

EmbeddingTrunkImpl::EmbeddingTrunkImpl(const Trunk& config, const InputShape& shape,
                                       int64_t out_dim)
    : out_dim_(out_dim), last_relu_(config.last_relu()), resize_(config.input_resize()) {
  TORCH_CHECK(out_dim > 0, "EmbeddingTrunk: out_dim must be positive, got ", out_dim);
  TORCH_CHECK(resize_ >= 0, "EmbeddingTrunk: input_resize must be >= 0");
  InputShape input = shape;
  if (resize_ > 0) input.height = input.width = resize_;
  switch (config.arch_case()) {
    case Trunk::kMlp: {
      const std::vector<int64_t> hidden(config.mlp().hidden_sizes().begin(),
                                        config.mlp().hidden_sizes().end());
      // Used as a regression head: its final Linear is the last layer of the trunk.
      mlp_ = register_module(
          "mlp", MLP(MLPOptions()
                         .in_features(input.channels * input.height * input.width)
                         .hidden_sizes(hidden)
                         .num_classes(out_dim)));
      break;
    }
    case Trunk::kCnn: {
      TORCH_CHECK(config.cnn().channels_size() > 0, "EmbeddingTrunk: cnn needs channels");
      cnn_ = nn::Sequential();
      int64_t in = input.channels;
      for (int i = 0; i < config.cnn().channels_size(); ++i) {
        const int64_t out = config.cnn().channels(i);
        if (i > 0) cnn_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
        cnn_->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
        cnn_->push_back(nn::ReLU(nn::ReLUOptions(true)));
        in = out;
      }
      cnn_->push_back(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
      cnn_->push_back(nn::Flatten());
      cnn_->push_back(nn::Linear(in, out_dim));
      register_module("cnn", cnn_);
      break;
    }
    case Trunk::kResnet: {
      const int depth = config.resnet().depth();
      TORCH_CHECK(depth == 18 || depth == 50, "EmbeddingTrunk: resnet depth must be 18 or 50");
      // Only features() is used (its linear embedding is h); the ResNet's own one-output classifier
      // stays unused.
      ResNetOptions options =
          depth == 18 ? ResNet18Options(1, out_dim) : ResNet50Options(1, out_dim);
      resnet_ = register_module(
          "resnet", ResNet(options.in_channels(input.channels).classifier_bias(false)));
      break;
    }
    default:
      TORCH_CHECK(false, "EmbeddingTrunk: the trunk needs one of mlp, cnn, resnet");
  }
}

torch::Tensor EmbeddingTrunkImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = images;
  if (resize_ > 0 && (x.size(2) != resize_ || x.size(3) != resize_)) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{resize_, resize_})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  torch::Tensor h;
  if (mlp_) {
    h = mlp_->forward(x);
  } else if (cnn_) {
    h = cnn_->forward(x);
  } else {
    h = resnet_->features(x);
  }
  return last_relu_ ? torch::relu(h) : h;
}

NormalizedClassifierImpl::NormalizedClassifierImpl(const Trunk& trunk, const InputShape& input,
                                                   int64_t embedding_dim, int64_t num_classes)
    : embedding_dim_(embedding_dim) {
  TORCH_CHECK(num_classes > 0, "NormalizedClassifier: num_classes must be positive");
  trunk_ = register_module("trunk", EmbeddingTrunk(trunk, input, embedding_dim));
  classifier_ = register_module(
      "classifier", nn::Linear(nn::LinearOptions(embedding_dim, num_classes).bias(false)));
}

ClassifierOutput NormalizedClassifierImpl::forward(const torch::Tensor& x) {
  ClassifierOutput out;
  out.embedding = Normalize(trunk_->forward(x));
  out.logits = classifier_->forward(out.embedding);
  return out;
}

SquareMapImpl::SquareMapImpl(int64_t dim, bool orthogonal) {
  if (orthogonal) {
    orthogonal_ = register_module("orthogonal", OrthogonalLinear(OrthogonalLinearOptions(dim)));
  } else {
    linear_ = register_module("linear", nn::Linear(nn::LinearOptions(dim, dim).bias(false)));
    torch::NoGradGuard no_grad;
    // The same starting point as the basis transformation: the QR-orthogonalised default init.
    linear_->weight.copy_(MakeOrthogonal(linear_->weight));
  }
}

torch::Tensor SquareMapImpl::forward(const torch::Tensor& x) {
  return orthogonal_ ? orthogonal_->forward(x) : linear_->forward(x);
}

torch::Tensor SquareMapImpl::weight() const {
  return orthogonal_ ? orthogonal_->weight() : linear_->weight;
}

Bt2ModelImpl::Bt2ModelImpl(const Bt2ModelOptions& options) : options_(options) {
  const int64_t d_new = options_.new_dim, d_old = options_.old_dim, k = options_.extra_dims;
  TORCH_CHECK(d_new > 0 && d_old > 0, "Bt2Model: d_new and d_old must be positive");
  TORCH_CHECK(k >= 0 && k <= d_old, "Bt2Model: need 0 <= k <= d_old, got k = ", k,
              ", d_old = ", d_old);
  TORCH_CHECK(d_old - k <= d_new, "Bt2Model: need d_old - k <= d_new (got d_old = ", d_old,
              ", k = ", k, ", d_new = ", d_new, ")");
  TORCH_CHECK(options_.norm_c > 0, "Bt2Model: C must be positive");
  trunk_ = register_module("trunk", EmbeddingTrunk(options_.trunk, options_.input, d_new + d_old));
  if (k > 0) projection_ = register_module("projection", nn::Linear(d_new + d_old, d_old));
  r1 = register_module("r1", SquareMap(d_new, options_.orthogonal));
  r2 = register_module("r2", SquareMap(d_old, options_.orthogonal));
  classifier_ = register_module(
      "classifier", nn::Linear(nn::LinearOptions(d_new, options_.num_classes).bias(false)));
}

Bt2Output Bt2ModelImpl::forward(const torch::Tensor& x) {
  const int64_t d_new = options_.new_dim, d_old = options_.old_dim, k = options_.extra_dims;
  const torch::Tensor h = trunk_->forward(x);
  Bt2Output out;
  out.f = Normalize(h.slice(1, 0, d_new));
  const torch::Tensor p = r1->forward(options_.norm_c * out.f);
  torch::Tensor z = p;
  if (k > 0) {
    const torch::Tensor g = Normalize(projection_->forward(torch::relu(h)));
    z = torch::cat({Normalize(g.slice(1, 0, k)), p}, 1);
  }
  out.compatible = r2->forward(z.slice(1, 0, d_old));
  out.extra = z.slice(1, d_old);
  out.embedding = torch::cat({out.compatible, out.extra}, 1);
  out.logits = classifier_->forward(out.f);
  return out;
}

}  // namespace repro::bt2
