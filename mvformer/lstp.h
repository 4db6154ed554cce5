// Learnable Spatial Token Pooling (LSTP, MV-Former's `LSTPCrossAtt`, spec §2): single-head
// cross-attention from E learned static queries to the N patch tokens of a frame, giving E entity
// tokens per frame. No output projection, residual, LayerNorm or attention dropout.
//
//   LearnableSpatialTokenPooling lstp(LstpOptions(/*in_channels=*/208, /*entities=*/3, /*dim=*/64));
//   auto [entities, attention] = lstp->forward(tokens);  // [M, 64, 208] -> [M, 3, 64], [M, 3, 64]
#ifndef MVFORMER_LSTP_H_
#define MVFORMER_LSTP_H_

#include <cstdint>
#include <utility>

#include "common/port/torch.h"

namespace repro::mvformer {

struct LstpOptions {
  LstpOptions(int64_t in_channels, int64_t entities, int64_t dim)
      : in_channels_(in_channels), entities_(entities), dim_(dim) {}
  TORCH_ARG(int64_t, in_channels);  // C of the patch tokens
  TORCH_ARG(int64_t, entities);     // E
  TORCH_ARG(int64_t, dim);          // d, the pooling width
};

class LearnableSpatialTokenPoolingImpl : public torch::nn::Module {
 public:
  explicit LearnableSpatialTokenPoolingImpl(const LstpOptions& options);

  // tokens F: [M, N, C] -> (Z [M, E, d], A [M, E, N]) with
  //   K = F W_K^T + b_K,  V = F W_V^T + b_V,  Q = Q_s + 1 b_Q^T,
  //   A = softmax_N(Q K^T / sqrt(d)),  Z = A V.
  // Computed in the equivalent cheaper order Q K^T = F (Q W_K)^T + Q b_K and
  // A V = (A F) W_V^T + b_V (rows of A sum to one), which never forms K or V.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens);

  // The same on tokens [F, P] whose last channels P: [N, C_p] are shared by every frame (the 2-D
  // position code): tokens: [M, N, C - C_p], shared: [N, C_p]. Equal to forward(cat(tokens, P)),
  // without materialising the concatenation.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens, const torch::Tensor& shared);

  // The same, forming K and V explicitly (the textbook order; for tests).
  std::pair<torch::Tensor, torch::Tensor> forward_reference(const torch::Tensor& tokens);

  const LstpOptions& options() const { return options_; }

  torch::nn::Linear key{nullptr}, value{nullptr};
  torch::Tensor queries;     // Q_s [E, d], Kaiming-uniform (a = sqrt(5))
  torch::Tensor query_bias;  // b_Q [d], uniform +-1/sqrt(d)

 private:
  LstpOptions options_;
};
TORCH_MODULE(LearnableSpatialTokenPooling);

}  // namespace repro::mvformer

#endif  // MVFORMER_LSTP_H_
