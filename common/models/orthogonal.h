// The basis transformation (BT) of BT² (Zhou et al., ICCV 2023): a square, bias-free linear map that
// is exactly orthonormal by construction, as PyTorch's `orthogonal` parametrization implements it
// with its defaults (matrix-exponential map, trivialization on):
//
//   W = B0 · expm(A − Aᵀ),   A = tril(X),   y = x Wᵀ
//
// X (d×d) is the trainable parameter, initialised to −I so that A − Aᵀ = 0 and W = B0 at init.
// B0 is a fixed buffer: the default nn.Linear init (kaiming-uniform, a = √5) orthogonalised by QR,
// with Q's columns multiplied by sign(diag R). Weight decay on X pulls W towards B0.
//
//   OrthogonalLinear bt(OrthogonalLinearOptions(32));
//   torch::Tensor y = bt->forward(x);  // x [B, 32] -> [B, 32], ‖y_i‖ = ‖x_i‖
#ifndef COMMON_MODELS_ORTHOGONAL_H_
#define COMMON_MODELS_ORTHOGONAL_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

struct OrthogonalLinearOptions {
  explicit OrthogonalLinearOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);
};

class OrthogonalLinearImpl : public torch::nn::Module {
 public:
  explicit OrthogonalLinearImpl(const OrthogonalLinearOptions& options);

  // The current orthonormal matrix W = B0 · expm(tril(X) − tril(X)ᵀ), [d, d].
  torch::Tensor weight() const;
  // x: [B, d] -> [B, d], y = x Wᵀ (an isometry: inner products and norms are preserved).
  torch::Tensor forward(const torch::Tensor& x);

  int64_t dim() const { return options_.dim(); }

  // The trainable parameter ("X" in PyTorch's parametrization; only its strict lower triangle
  // matters) and the fixed orthogonal base ("base").
  torch::Tensor raw;
  torch::Tensor base;

 private:
  OrthogonalLinearOptions options_;
};
TORCH_MODULE(OrthogonalLinear);

// exp(a) for a square matrix `a` [d, d]: scaling and squaring with a degree-8 Taylor polynomial
// in Horner form (a / 2^s has 1-norm <= 1/2, so the truncation error is below 6e-9 relative, under
// float32 rounding), with a hand-written reverse pass (one autograd node instead of one per tensor
// operation). Same value and gradient as torch::matrix_exp, whose backward exponentiates a
// 2d x 2d block matrix; for BT²'s small matrices this keeps the basis transformations cheap next
// to a training step.
torch::Tensor MatrixExp(const torch::Tensor& a);

// The orthogonal factor of `m` ([d, d]) with the sign convention of PyTorch's orthogonal
// parametrization: Q from m = QR, columns multiplied by sign(diag R), so that Qᵀm has a
// non-negative diagonal.
torch::Tensor MakeOrthogonal(const torch::Tensor& m);

}  // namespace repro

#endif  // COMMON_MODELS_ORTHOGONAL_H_
