#include "backfill/transforms.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace repro::backfill {
namespace {

torch::Tensor MaybeNormalize(const torch::Tensor& x, bool normalize) {
  if (!normalize) return x;
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

}  // namespace

ReverseTransformImpl::ReverseTransformImpl(const TransformOptions& options) : options_(options) {
  TORCH_CHECK(options.in_dim() >= 1 && options.out_dim() >= 1,
              "ReverseTransform: dimensions must be >= 1, got ", options.in_dim(), " -> ",
              options.out_dim());
  mlp_ = register_module("mlp", MLP(MLPOptions()
                                        .in_features(options.in_dim())
                                        .hidden_sizes(options.hidden())
                                        .num_classes(options.out_dim())
                                        .batch_norm(true)));
}

torch::Tensor ReverseTransformImpl::forward(const torch::Tensor& new_embeddings) {
  TORCH_CHECK(new_embeddings.dim() == 2 && new_embeddings.size(1) == options_.in_dim(),
              "ReverseTransform: input must be [B, ", options_.in_dim(), "], got ",
              new_embeddings.sizes());
  return MaybeNormalize(mlp_->forward(new_embeddings), options_.normalize());
}

NewEmbeddingImpl::NewEmbeddingImpl(const TransformOptions& options) : options_(options) {
  TORCH_CHECK(options.in_dim() >= 1, "NewEmbedding: dimension must be >= 1");
  mlp_ = register_module("mlp", MLP(MLPOptions()
                                        .in_features(options.in_dim())
                                        .hidden_sizes(options.hidden())
                                        .num_classes(options.in_dim())
                                        .batch_norm(true)));
  torch::NoGradGuard no_grad;
  mlp_->classifier->weight.zero_();
  if (mlp_->classifier->bias.defined()) mlp_->classifier->bias.zero_();
}

torch::Tensor NewEmbeddingImpl::forward(const torch::Tensor& f) {
  TORCH_CHECK(f.dim() == 2 && f.size(1) == options_.in_dim(), "NewEmbedding: input must be [B, ",
              options_.in_dim(), "], got ", f.sizes());
  return MaybeNormalize(f + mlp_->forward(f), options_.normalize());
}

torch::Tensor ApplyTransform(torch::nn::Module& module,
                             const std::function<torch::Tensor(const torch::Tensor&)>& fn,
                             const torch::Tensor& x, int64_t batch_size) {
  const bool was_training = module.is_training();
  module.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += batch_size) {
    parts.push_back(fn(x.slice(0, start, std::min(start + batch_size, x.size(0)))));
  }
  module.train(was_training);
  return parts.empty() ? fn(x) : torch::cat(parts, 0);
}

}  // namespace repro::backfill
