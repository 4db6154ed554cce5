// The networks of BT² (Zhou et al., ICCV 2023) as the official code builds them (spec bt2.md §2):
//
//   EmbeddingTrunk      x -> h, the backbone (MLP, small CNN, or ResNet-18/50), optionally ReLU'd.
//   NormalizedClassifier  φ(x) = normalize(h), logits = W φ (no bias): the old model, the
//                       independently trained new model φ'_new, BCT and BCT with added dimensions.
//   Bt2Model            Fig. 1: f = normalize(h[:d_new]); p = R1(C f); u = normalize(g[:k]) with
//                       g = normalize(W3 relu(h) + b3); z = [u ; p]; b = R2 z[:d_old];
//                       e = z[d_old:]; φ_new = [b ; e] with ‖φ_new‖ = √(1 + C²) when k > 0.
//
//   Bt2Model model(Bt2ModelOptions{...});
//   Bt2Output out = model->forward(images);  // out.embedding [B, d_new + k], out.logits [B, K]
#ifndef BT2_MODELS_H_
#define BT2_MODELS_H_

#include <cstdint>

#include "bt2/config.pb.h"
#include "common/models/mlp.h"
#include "common/models/orthogonal.h"
#include "common/models/resnet.h"
#include "common/port/torch.h"

namespace repro::bt2 {

struct InputShape {
  int64_t channels = 1;
  int64_t height = 28;
  int64_t width = 28;
};

// x: [B, C, H, W] -> h: [B, out_dim].
class EmbeddingTrunkImpl : public torch::nn::Module {
 public:
  EmbeddingTrunkImpl(const Trunk& config, const InputShape& input, int64_t out_dim);

  // images: [B, C, H, W], resized to input_resize when set, then
  // MLP: h = W_L relu(... relu(W_1 flatten(x))); CNN: h = W GAP(conv/ReLU/pool stack);
  // ResNet: h = the ResNet's linear embedding of its pooled features; then h = relu(h) when
  // last_relu (the official backbones end with ReLU).
  torch::Tensor forward(const torch::Tensor& images);
  int64_t out_dim() const { return out_dim_; }

 private:
  int64_t out_dim_;
  bool last_relu_;
  int64_t resize_;
  MLP mlp_{nullptr};
  torch::nn::Sequential cnn_{nullptr};
  ResNet resnet_{nullptr};
};
TORCH_MODULE(EmbeddingTrunk);

// What every model of a compatibility table provides: the retrieval embedding.
class EmbeddingModel : public torch::nn::Module {
 public:
  // x: [B, C, H, W] -> [B, embedding_dim()], the feature that is indexed and queried.
  virtual torch::Tensor Embed(const torch::Tensor& x) = 0;
  virtual int64_t embedding_dim() const = 0;
};

struct ClassifierOutput {
  torch::Tensor embedding;  // [B, d], unit norm
  torch::Tensor logits;     // [B, K]
};

// φ(x) = normalize(h) with h = trunk(x) ∈ R^d; logits = W φ(x), W ∈ R^{K×d}, no bias (§2.4,
// "Backbone detail").
class NormalizedClassifierImpl : public EmbeddingModel {
 public:
  NormalizedClassifierImpl(const Trunk& trunk, const InputShape& input, int64_t embedding_dim,
                           int64_t num_classes);
  // x: [B, C, H, W] -> {embedding [B, d], logits [B, K]}.
  ClassifierOutput forward(const torch::Tensor& x);
  torch::Tensor Embed(const torch::Tensor& x) override { return forward(x).embedding; }
  int64_t embedding_dim() const override { return embedding_dim_; }

 private:
  int64_t embedding_dim_;
  EmbeddingTrunk trunk_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(NormalizedClassifier);

// A square bias-free map: a basis transformation (OrthogonalLinear), or, for the ablation, an
// unconstrained Linear that starts from the same orthogonal matrix.
class SquareMapImpl : public torch::nn::Module {
 public:
  SquareMapImpl(int64_t dim, bool orthogonal);
  // x: [B, d] -> x Wᵀ.
  torch::Tensor forward(const torch::Tensor& x);
  // W, [d, d].
  torch::Tensor weight() const;
  bool orthogonal() const { return orthogonal_.get() != nullptr; }

 private:
  OrthogonalLinear orthogonal_{nullptr};
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(SquareMap);

struct Bt2ModelOptions {
  Trunk trunk;
  InputShape input;
  int64_t new_dim = 32;   // d_new
  int64_t old_dim = 32;   // d_old
  int64_t extra_dims = 8; // k
  double norm_c = 2.0;    // C
  int64_t num_classes = 10;
  bool orthogonal = true;  // false: ablation (i), unconstrained maps
};

struct Bt2Output {
  torch::Tensor f;          // [B, d_new] unit norm, matched to φ'_new and classified
  torch::Tensor compatible; // b: [B, d_old], matched to φ_old (BCT-style)
  torch::Tensor extra;      // e: [B, d_new + k - d_old], the additional dimensions
  torch::Tensor embedding;  // φ_new = [b ; e]: [B, d_new + k]
  torch::Tensor logits;     // W_out f: [B, K]
};

class Bt2ModelImpl : public EmbeddingModel {
 public:
  explicit Bt2ModelImpl(const Bt2ModelOptions& options);

  // x: [B, C, H, W] -> Bt2Output (spec §2.2 steps 1-9, Fig. 1):
  //   h = trunk(x) ∈ R^{d_new+d_old};  f = h[:d_new]/‖h[:d_new]‖;  p = R1 (C f);
  //   u = normalize(normalize(W3 relu(h) + b3)[:k]);  z = [u ; p] ∈ R^{k+d_new};
  //   b = R2 z[:d_old];  e = z[d_old:];  φ_new = [b ; e];  logits = W_out f.
  Bt2Output forward(const torch::Tensor& x);
  torch::Tensor Embed(const torch::Tensor& x) override { return forward(x).embedding; }
  int64_t embedding_dim() const override { return options_.new_dim + options_.extra_dims; }
  const Bt2ModelOptions& options() const { return options_; }

  SquareMap r1{nullptr};  // acts on C f, d_new × d_new
  SquareMap r2{nullptr};  // acts on z[:d_old], d_old × d_old

 private:
  Bt2ModelOptions options_;
  EmbeddingTrunk trunk_{nullptr};
  torch::nn::Linear projection_{nullptr};  // W3, b3: d_new + d_old -> d_old (absent when k = 0)
  torch::nn::Linear classifier_{nullptr};  // W_out: d_new -> K, no bias
};
TORCH_MODULE(Bt2Model);

}  // namespace repro::bt2

#endif  // BT2_MODELS_H_
