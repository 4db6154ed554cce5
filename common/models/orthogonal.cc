#include "common/models/orthogonal.h"

#include <cmath>

namespace repro {

torch::Tensor MakeOrthogonal(const torch::Tensor& m) {
  TORCH_CHECK(m.dim() == 2 && m.size(0) == m.size(1), "MakeOrthogonal: expected a square matrix, got ",
              m.sizes());
  auto [q, r] = torch::linalg_qr(m);
  // sign(0) would zero a column; a zero pivot means m is singular, which a random init never is.
  return q * torch::sign(r.diagonal()).unsqueeze(0);
}

OrthogonalLinearImpl::OrthogonalLinearImpl(const OrthogonalLinearOptions& options)
    : options_(options) {
  const int64_t d = options_.dim();
  TORCH_CHECK(d > 0, "OrthogonalLinear: dim must be positive, got ", d);
  // nn.Linear's default weight init: kaiming_uniform_(w, a = √5), i.e. U(−1/√d, 1/√d).
  torch::Tensor init = torch::empty({d, d});
  torch::nn::init::kaiming_uniform_(init, std::sqrt(5.0));
  base = register_buffer("base", MakeOrthogonal(init));
  raw = register_parameter("raw", -torch::eye(d));
}

torch::Tensor OrthogonalLinearImpl::weight() const {
  const torch::Tensor a = raw.tril();
  return base.matmul(torch::matrix_exp(a - a.t()));
}

torch::Tensor OrthogonalLinearImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == options_.dim(), "OrthogonalLinear: expected [B, ",
              options_.dim(), "], got ", x.sizes());
  return x.matmul(weight().t());
}

}  // namespace repro
