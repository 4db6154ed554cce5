#include "common/models/orthogonal.h"

#include <cmath>
#include <sstream>

#include "gtest/gtest.h"

namespace repro {
namespace {

double MaxAbsOrthogonalityError(const torch::Tensor& w) {
  const torch::Tensor eye = torch::eye(w.size(0), w.options());
  return (w.t().matmul(w) - eye).abs().max().item<double>();
}

TEST(MakeOrthogonalTest, QrWithPositiveDiagonal) {
  torch::manual_seed(3);
  const torch::Tensor m = torch::randn({7, 7}, torch::kFloat64);
  const torch::Tensor q = MakeOrthogonal(m);
  EXPECT_LT(MaxAbsOrthogonalityError(q), 1e-12);
  // R = Qᵀm is upper triangular with a non-negative diagonal and reproduces m.
  const torch::Tensor r = q.t().matmul(m);
  EXPECT_LT(r.tril(-1).abs().max().item<double>(), 1e-12);
  EXPECT_GE(r.diagonal().min().item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(q.matmul(r), m, 1e-12, 1e-12));
}

TEST(MatrixExpTest, MatchesTorchMatrixExpAndItsGradient) {
  torch::manual_seed(6);
  for (double scale : {0.0, 0.01, 0.3, 1.0, 4.0, 20.0}) {
    const torch::Tensor raw = torch::randn({12, 12}, torch::kFloat64) * scale;
    for (const torch::Tensor& a : {raw, raw - raw.t()}) {  // general and skew-symmetric
      const torch::Tensor x = a.clone().requires_grad_(true);
      const torch::Tensor y = a.clone().requires_grad_(true);
      const torch::Tensor ours = MatrixExp(x);
      const torch::Tensor reference = torch::matrix_exp(y);
      const double size = reference.abs().max().item<double>();
      // The degree-8 Taylor truncation (< 6e-9 relative) is far below float32 rounding.
      EXPECT_LT((ours - reference).abs().max().item<double>(), 1e-7 * size) << "scale " << scale;
      const torch::Tensor weights = torch::randn({12, 12}, torch::kFloat64);
      (ours * weights).sum().backward();
      (reference * weights).sum().backward();
      const double grad_size = y.grad().abs().max().item<double>();
      EXPECT_LT((x.grad() - y.grad()).abs().max().item<double>(), 1e-6 * grad_size + 1e-12)
          << "scale " << scale;
    }
  }
  EXPECT_THROW(MatrixExp(torch::randn({2, 3})), c10::Error);
}

TEST(OrthogonalLinearTest, StartsAtTheOrthogonalBase) {
  torch::manual_seed(0);
  OrthogonalLinear bt{OrthogonalLinearOptions(16)};
  EXPECT_TRUE(torch::equal(bt->raw, -torch::eye(16)));
  EXPECT_TRUE(torch::allclose(bt->weight(), bt->base, 0.0, 1e-7));
  EXPECT_LT(MaxAbsOrthogonalityError(bt->base), 1e-5);
  // The base is a buffer, not a parameter: only X trains.
  ASSERT_EQ(bt->parameters().size(), 1u);
  ASSERT_EQ(bt->buffers().size(), 1u);
}

TEST(OrthogonalLinearTest, TwoByTwoIsBaseTimesARotation) {
  torch::manual_seed(1);
  OrthogonalLinear bt{OrthogonalLinearOptions(2)};
  const double theta = 0.7;
  {
    torch::NoGradGuard no_grad;
    bt->raw.copy_(torch::tensor({{0.3, -5.0}, {theta, 2.0}}));  // diagonal and upper part ignored
  }
  // expm([[0, −θ], [θ, 0]]) = [[cos θ, −sin θ], [sin θ, cos θ]].
  const torch::Tensor rotation = torch::tensor(
      {{std::cos(theta), -std::sin(theta)}, {std::sin(theta), std::cos(theta)}}, torch::kFloat32);
  EXPECT_TRUE(torch::allclose(bt->weight(), bt->base.matmul(rotation), 1e-6, 1e-6));
}

TEST(OrthogonalLinearTest, StaysOrthonormalWhileTraining) {
  torch::manual_seed(2);
  const int64_t d = 40;
  OrthogonalLinear bt{OrthogonalLinearOptions(d)};
  {
    torch::NoGradGuard no_grad;
    bt->raw.add_(0.5 * torch::randn({d, d}));
  }
  torch::optim::Adam adam(bt->parameters(), torch::optim::AdamOptions(0.05));
  const torch::Tensor x = torch::randn({64, d});
  const torch::Tensor target = torch::randn({64, d});
  for (int step = 0; step < 50; ++step) {
    adam.zero_grad();
    const torch::Tensor loss = (bt->forward(x) - target).pow(2).mean();
    loss.backward();
    adam.step();
  }
  const torch::Tensor w = bt->weight().detach();
  EXPECT_LT(MaxAbsOrthogonalityError(w), 1e-5);
  EXPECT_LT(MaxAbsOrthogonalityError(w.t()), 1e-5);
  // It moved away from the base, and it is an isometry: ‖x Wᵀ‖ = ‖x‖.
  EXPECT_GT((w - bt->base).abs().max().item<double>(), 0.1);
  const torch::Tensor y = bt->forward(x).detach();
  EXPECT_TRUE(torch::allclose(y.norm(2, 1), x.norm(2, 1), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(y, x.matmul(w.t()), 1e-5, 1e-6));
}

TEST(OrthogonalLinearTest, GradientReachesOnlyTheStrictLowerTriangle) {
  torch::manual_seed(4);
  OrthogonalLinear bt{OrthogonalLinearOptions(5)};
  bt->forward(torch::randn({3, 5})).sum().backward();
  const torch::Tensor g = bt->raw.grad();
  ASSERT_TRUE(g.defined());
  EXPECT_EQ(g.triu().abs().max().item<float>(), 0.0f);
  EXPECT_GT(g.tril(-1).abs().max().item<float>(), 0.0f);
}

TEST(OrthogonalLinearTest, SaveLoadKeepsTheMatrix) {
  torch::manual_seed(5);
  OrthogonalLinear a{OrthogonalLinearOptions(6)};
  {
    torch::NoGradGuard no_grad;
    a->raw.add_(torch::randn({6, 6}));
  }
  std::stringstream stream;
  torch::save(a, stream);
  torch::manual_seed(99);
  OrthogonalLinear b{OrthogonalLinearOptions(6)};
  torch::load(b, stream);
  EXPECT_TRUE(torch::equal(a->weight(), b->weight()));
}

TEST(OrthogonalLinearTest, RejectsWrongShapes) {
  OrthogonalLinear bt{OrthogonalLinearOptions(4)};
  EXPECT_THROW(bt->forward(torch::randn({2, 5})), c10::Error);
  EXPECT_THROW(OrthogonalLinear(OrthogonalLinearOptions(0)), c10::Error);
}

}  // namespace
}  // namespace repro
