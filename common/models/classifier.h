// The interface every image classifier of the monorepo shares (ResNet, ViT, MLP), so that trainers,
// evaluation and embedding extraction treat them uniformly:
//
//   ResNet net(ResNetOptions().in_channels(1).num_classes(10));
//   Classifier& model = *net;             // or std::shared_ptr<Classifier> p = net.ptr();
//   torch::Tensor f = model.features(x);  // [B, D] embedding
//   torch::Tensor z = model.logits_from_features(f);  // [B, K]
//
// A model is a plain `torch::nn::Module` subclass (LibTorch's module idiom: `FooImpl` derives from
// `Classifier`, `TORCH_MODULE(Foo)` gives the holder), so parameters, buffers, train()/eval() and
// serialization work as for any module.
#ifndef COMMON_MODELS_CLASSIFIER_H_
#define COMMON_MODELS_CLASSIFIER_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

class Classifier : public torch::nn::Module {
 public:
  // x: the model's input batch (e.g. images [B, C, H, W]) -> embedding [B, feature_dim()].
  virtual torch::Tensor features(const torch::Tensor& x) = 0;

  // f: [B, feature_dim()] -> logits [B, num_classes()].
  virtual torch::Tensor logits_from_features(const torch::Tensor& f) = 0;

  // x -> logits [B, num_classes()]; equals logits_from_features(features(x)).
  virtual torch::Tensor forward(const torch::Tensor& x) { return logits_from_features(features(x)); }

  // D, the width of features().
  virtual int64_t feature_dim() const = 0;

  // K, the width of the logits.
  virtual int64_t num_classes() const = 0;

 protected:
  using torch::nn::Module::Module;
};

}  // namespace repro

#endif  // COMMON_MODELS_CLASSIFIER_H_
