// The two small modules of the method (backfill.md §2.2, §2.4), both on top of frozen backbones:
//   - ReverseTransform ψ: new space -> old space, so one new-model query pass also searches the
//     not-yet-backfilled (old) part of the gallery: ψ(φⁿ(x)) ≈ φᵒ(x);
//   - NewEmbedding ρ (v2's optional learnable new embedding): ρ(f) = f + MLP(f), the embedding of
//     record for backfilled items and queries, trained jointly with ψ under MCL.
// Both are MLPs of common/models (Linear -> BatchNorm -> ReLU hidden layers, linear output); with
// `normalize` their outputs are L2-normalised, as every embedding of the protocol then is.
#ifndef BACKFILL_TRANSFORMS_H_
#define BACKFILL_TRANSFORMS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "common/models/mlp.h"
#include "common/port/torch.h"

namespace repro::backfill {

struct TransformOptions {
  TORCH_ARG(int64_t, in_dim) = 128;
  TORCH_ARG(int64_t, out_dim) = 64;
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{256, 256};
  TORCH_ARG(bool, normalize) = true;
};

class ReverseTransformImpl : public torch::nn::Module {
 public:
  explicit ReverseTransformImpl(const TransformOptions& options);
  // new_embeddings [B, in_dim] -> old-space embeddings [B, out_dim]: ψ(f) = W_L ReLU(BN(... f)),
  // L2-normalised when options.normalize (backfill.md §2.2).
  torch::Tensor forward(const torch::Tensor& new_embeddings);
  const TransformOptions& options() const { return options_; }

 private:
  TransformOptions options_;
  MLP mlp_{nullptr};
};
TORCH_MODULE(ReverseTransform);

class NewEmbeddingImpl : public torch::nn::Module {
 public:
  // in_dim = out_dim = options.in_dim (a residual map of the new space).
  explicit NewEmbeddingImpl(const TransformOptions& options);
  // f [B, d_new] -> ρ(f) = f + MLP(f) [B, d_new], L2-normalised when options.normalize
  // (backfill.md §2.4). The MLP's output layer starts at zero, so ρ starts as the identity.
  torch::Tensor forward(const torch::Tensor& f);
  const TransformOptions& options() const { return options_; }

 private:
  TransformOptions options_;
  MLP mlp_{nullptr};
};
TORCH_MODULE(NewEmbedding);

// Applies `module` in eval mode without gradients, `batch_size` rows at a time.
torch::Tensor ApplyTransform(torch::nn::Module& module,
                             const std::function<torch::Tensor(const torch::Tensor&)>& fn,
                             const torch::Tensor& x, int64_t batch_size = 4096);

}  // namespace repro::backfill

#endif  // BACKFILL_TRANSFORMS_H_
