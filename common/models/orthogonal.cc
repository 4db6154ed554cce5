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

torch::Tensor MatrixExp(const torch::Tensor& a) {
  TORCH_CHECK(a.dim() == 2 && a.size(0) == a.size(1), "MatrixExp: expected a square matrix, got ",
              a.sizes());
  constexpr int kDegree = 12;
  constexpr double kMaxNorm = 1.0;
  const double norm = a.detach().abs().sum(0).max().item<double>();  // the 1-norm
  TORCH_CHECK(std::isfinite(norm), "MatrixExp: the matrix is not finite");
  const int squarings = norm > kMaxNorm ? static_cast<int>(std::ceil(std::log2(norm / kMaxNorm))) : 0;
  const torch::Tensor x = a * std::ldexp(1.0, -squarings);
  const torch::Tensor eye = torch::eye(a.size(0), a.options());
  // I + x (I + x/2 (I + x/3 (... (I + x/12)))).
  torch::Tensor result = torch::add(eye, x, 1.0 / kDegree);
  for (int k = kDegree - 1; k >= 1; --k) result = torch::addmm(eye, x, result, 1.0, 1.0 / k);
  for (int i = 0; i < squarings; ++i) result = result.matmul(result);
  return result;
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
  return base.matmul(MatrixExp(a - a.t()));
}

torch::Tensor OrthogonalLinearImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == options_.dim(), "OrthogonalLinear: expected [B, ",
              options_.dim(), "], got ", x.sizes());
  return x.matmul(weight().t());
}

}  // namespace repro
