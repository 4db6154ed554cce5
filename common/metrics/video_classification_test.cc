#include "common/metrics/video_classification.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(LogisticRegressionTest, SeparableClassesAreLearned) {
  torch::manual_seed(0);
  const torch::Tensor centers = torch::tensor({0.0f, 0.0f, 4.0f, 0.0f, 0.0f, 4.0f}).view({3, 2});
  const torch::Tensor y = torch::arange(300, torch::kInt64).remainder(3);
  const torch::Tensor x = centers.index_select(0, y) + 0.3 * torch::randn({300, 2});
  const LogisticRegression model = FitLogisticRegression(x, y, 3);
  EXPECT_DOUBLE_EQ(model.Accuracy(x, y), 1.0);
}

// The fit is the minimiser of scikit-learn's objective C * sum_i CE + 0.5 ||W||^2 (bias free): its
// gradient, written out here by hand, vanishes there.
TEST(LogisticRegressionTest, StationaryPointOfScikitLearnObjective) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({120, 3}, torch::kFloat64);
  const torch::Tensor y = (x.select(1, 0) + 0.5 * torch::randn({120}, torch::kFloat64)).gt(0).to(torch::kInt64) +
                          x.select(1, 1).gt(1.0).to(torch::kInt64);
  for (double c : {1.0, 0.05}) {
    LogisticRegressionOptions options;
    options.c = c;
    options.tolerance = 1e-9;
    const LogisticRegression model = FitLogisticRegression(x, y, 3, options);
    const torch::Tensor p = torch::softmax(x.matmul(model.weight.t()) + model.bias, 1);
    const torch::Tensor residual = p - torch::one_hot(y, 3).to(torch::kFloat64);  // [N, K]
    const torch::Tensor grad_w = c * residual.t().matmul(x) + model.weight;
    const torch::Tensor grad_b = c * residual.sum(0);
    EXPECT_LT(grad_w.abs().max().item<double>(), 1e-6 * 120 * c) << "C = " << c;
    EXPECT_LT(grad_b.abs().max().item<double>(), 1e-6 * 120 * c) << "C = " << c;
  }
  // Stronger regularisation (smaller C) shrinks the weights.
  LogisticRegressionOptions weak, strong;
  strong.c = 0.01;
  EXPECT_GT(FitLogisticRegression(x, y, 3, weak).weight.norm().item<double>(),
            FitLogisticRegression(x, y, 3, strong).weight.norm().item<double>());
}

TEST(LogisticRegressionTest, BadLabelsFail) {
  EXPECT_THROW(FitLogisticRegression(torch::zeros({2, 2}), torch::tensor({0, 3}), 3), c10::Error);
}

}  // namespace
}  // namespace repro
