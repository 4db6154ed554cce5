#include "common/models/orthogonal.h"

#include <cmath>
#include <vector>

namespace repro {

torch::Tensor MakeOrthogonal(const torch::Tensor& m) {
  TORCH_CHECK(m.dim() == 2 && m.size(0) == m.size(1), "MakeOrthogonal: expected a square matrix, got ",
              m.sizes());
  auto [q, r] = torch::linalg_qr(m);
  // sign(0) would zero a column; a zero pivot means m is singular, which a random init never is.
  return q * torch::sign(r.diagonal()).unsqueeze(0);
}

namespace {

constexpr int kDegree = 8;        // Taylor degree
constexpr double kMaxNorm = 0.5;  // 1-norm of a / 2^s: truncation error <= 0.5^9 / 9! < 6e-9

// exp(a) by scaling and squaring with the Taylor polynomial in Horner form, keeping what the
// backward pass needs: x = a / 2^s, the Horner partial products p_2..p_deg (p_k = I + x p_{k+1} / k,
// p_deg = I + x / deg) and the inputs E_0..E_{s-1} of the squarings (E_0 = p_1, E_{i+1} = E_i²).
struct ExpTrace {
  int squarings = 0;
  torch::Tensor x;
  std::vector<torch::Tensor> horner;   // horner[k] = p_k for k = 2..deg (entries 0, 1 unused)
  std::vector<torch::Tensor> squares;  // E_0 .. E_{s-1}
  torch::Tensor result;
};

ExpTrace ExpForward(const torch::Tensor& a) {
  ExpTrace trace;
  const double norm = a.abs().sum(0).max().item<double>();  // the 1-norm
  TORCH_CHECK(std::isfinite(norm), "MatrixExp: the matrix is not finite");
  trace.squarings =
      norm > kMaxNorm ? static_cast<int>(std::ceil(std::log2(norm / kMaxNorm))) : 0;
  trace.x = a * std::ldexp(1.0, -trace.squarings);
  const torch::Tensor eye = torch::eye(a.size(0), a.options());
  trace.horner.resize(kDegree + 1);
  torch::Tensor p = torch::add(eye, trace.x, 1.0 / kDegree);
  for (int k = kDegree - 1; k >= 1; --k) {
    trace.horner[k + 1] = p;
    p = torch::addmm(eye, trace.x, p, 1.0, 1.0 / k);
  }
  for (int i = 0; i < trace.squarings; ++i) {
    trace.squares.push_back(p);
    p = p.matmul(p);
  }
  trace.result = p;
  return trace;
}

// The reverse pass of ExpForward for the incoming gradient `grad` of exp(a): d<grad, exp(a)>/da.
torch::Tensor ExpBackward(const ExpTrace& trace, const torch::Tensor& grad) {
  torch::Tensor g = grad;
  for (int i = trace.squarings - 1; i >= 0; --i) {  // E_{i+1} = E_i E_i
    const torch::Tensor e = trace.squares[i];
    g = torch::addmm(g.matmul(e.t()), e.t(), g);
  }
  // g is now the gradient of p_1.
  const torch::Tensor xt = trace.x.t();
  torch::Tensor gx = torch::zeros_like(trace.x);
  for (int k = 1; k < kDegree; ++k) {  // p_k = I + x p_{k+1} / k
    gx.addmm_(g, trace.horner[k + 1].t(), 1.0, 1.0 / k);
    g = xt.matmul(g) / k;
  }
  gx.add_(g, 1.0 / kDegree);  // p_deg = I + x / deg
  return gx * std::ldexp(1.0, -trace.squarings);
}

class MatrixExpFunction : public torch::autograd::Function<MatrixExpFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a) {
    ExpTrace trace = ExpForward(a);
    std::vector<torch::Tensor> saved = {trace.x};
    saved.insert(saved.end(), trace.horner.begin() + 2, trace.horner.end());
    saved.insert(saved.end(), trace.squares.begin(), trace.squares.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["squarings"] = static_cast<int64_t>(trace.squarings);
    return trace.result;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const std::vector<torch::Tensor> saved = ctx->get_saved_variables();
    ExpTrace trace;
    trace.squarings = static_cast<int>(ctx->saved_data["squarings"].toInt());
    trace.x = saved[0];
    trace.horner.assign(2, torch::Tensor());
    trace.horner.insert(trace.horner.end(), saved.begin() + 1, saved.begin() + kDegree);
    trace.squares.assign(saved.begin() + kDegree, saved.end());
    return {ExpBackward(trace, grads[0])};
  }
};

}  // namespace

torch::Tensor MatrixExp(const torch::Tensor& a) {
  TORCH_CHECK(a.dim() == 2 && a.size(0) == a.size(1), "MatrixExp: expected a square matrix, got ",
              a.sizes());
  return MatrixExpFunction::apply(a);
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
