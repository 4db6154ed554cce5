#include "common/models/mlp.h"

namespace repro {

namespace nn = torch::nn;

MLPImpl::MLPImpl(const MLPOptions& options) : options_(options) {
  TORCH_CHECK(options_.in_features() > 0 && options_.num_classes() > 0,
              "MLP: in_features and num_classes must be positive");
  hidden = nn::Sequential();
  int64_t width = options_.in_features();
  for (const int64_t size : options_.hidden_sizes()) {
    TORCH_CHECK(size > 0, "MLP: hidden sizes must be positive");
    hidden->push_back(nn::Linear(width, size));
    if (options_.batch_norm()) hidden->push_back(nn::BatchNorm1d(size));
    hidden->push_back(nn::ReLU(nn::ReLUOptions(/*inplace=*/true)));
    if (options_.dropout() > 0) hidden->push_back(nn::Dropout(options_.dropout()));
    width = size;
  }
  register_module("hidden", hidden);
  feature_dim_ = width;
  classifier = register_module(
      "classifier", nn::Linear(nn::LinearOptions(width, options_.num_classes())
                                   .bias(options_.classifier_bias())));
}

torch::Tensor MLPImpl::features(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() >= 1 && x.numel() == x.size(0) * options_.in_features(),
              "MLP: expected ", options_.in_features(), " values per row, got input ", x.sizes());
  const torch::Tensor flat = x.reshape({x.size(0), options_.in_features()});
  return hidden->is_empty() ? flat : hidden->forward(flat);
}

torch::Tensor MLPImpl::logits_from_features(const torch::Tensor& f) {
  return classifier->forward(f);
}

}  // namespace repro
