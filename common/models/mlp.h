// Multi-layer perceptron classifier / head: inputs are flattened to [B, in_features], each hidden
// layer is Linear -> [BatchNorm1d] -> ReLU -> [Dropout], and a final Linear gives the outputs.
//
//   MLP mlp(MLPOptions().in_features(784).hidden_sizes({256, 128}).num_classes(10));
//   torch::Tensor logits = mlp->forward(images);  // images [B, 1, 28, 28] -> [B, 10]
//   torch::Tensor f = mlp->features(images);      // [B, 128]
//
// As a regression head (e.g. a transformation between embedding spaces) num_classes is simply the
// output width and forward() returns the final Linear's output.
#ifndef COMMON_MODELS_MLP_H_
#define COMMON_MODELS_MLP_H_

#include <cstdint>
#include <vector>

#include "common/models/classifier.h"
#include "common/port/torch.h"

namespace repro {

struct MLPOptions {
  TORCH_ARG(int64_t, in_features) = 784;
  TORCH_ARG(std::vector<int64_t>, hidden_sizes) = std::vector<int64_t>{256};
  TORCH_ARG(int64_t, num_classes) = 10;
  TORCH_ARG(bool, batch_norm) = false;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(bool, classifier_bias) = true;
};

class MLPImpl : public Classifier {
 public:
  explicit MLPImpl(const MLPOptions& options);

  // x: [B, ...] with in_features values per row -> the last hidden layer [B, hidden_sizes.back()]
  // (x flattened when there are no hidden layers): h_{l+1} = Dropout(ReLU(BN(W_l h_l + b_l))).
  torch::Tensor features(const torch::Tensor& x) override;
  // f: [B, feature_dim()] -> [B, num_classes] (final Linear).
  torch::Tensor logits_from_features(const torch::Tensor& f) override;
  // x: [B, ...] -> [B, num_classes].
  torch::Tensor forward(const torch::Tensor& x) override {
    return logits_from_features(features(x));
  }

  int64_t feature_dim() const override { return feature_dim_; }
  int64_t num_classes() const override { return options_.num_classes(); }
  const MLPOptions& options() const { return options_; }

  torch::nn::Sequential hidden{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  MLPOptions options_;
  int64_t feature_dim_ = 0;
};
TORCH_MODULE(MLP);

}  // namespace repro

#endif  // COMMON_MODELS_MLP_H_
