#include "common/metrics/video_classification.h"

#include <limits>

namespace repro {

torch::Tensor LogisticRegression::Predict(const torch::Tensor& x) const {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == weight.size(1), "LogisticRegression: expected [N, ",
              weight.size(1), "], got ", x.sizes());
  return torch::addmm(bias, x.to(torch::kFloat64), weight.t()).argmax(1);
}

double LogisticRegression::Accuracy(const torch::Tensor& x, const torch::Tensor& y) const {
  TORCH_CHECK(y.dim() == 1 && y.size(0) == x.size(0), "LogisticRegression: labels ", y.sizes(),
              " do not match inputs ", x.sizes());
  if (y.size(0) == 0) return std::numeric_limits<double>::quiet_NaN();
  return Predict(x).eq(y.to(torch::kInt64)).to(torch::kFloat64).mean().item<double>();
}

LogisticRegression FitLogisticRegression(const torch::Tensor& x, const torch::Tensor& y,
                                         int64_t num_classes, const LogisticRegressionOptions& options) {
  TORCH_CHECK(x.dim() == 2 && y.dim() == 1 && x.size(0) == y.size(0) && x.size(0) > 0,
              "FitLogisticRegression: expected x [N, D] and y [N] with N > 0, got ", x.sizes(), " and ",
              y.sizes());
  TORCH_CHECK(num_classes >= 2, "FitLogisticRegression: need at least 2 classes");
  TORCH_CHECK(options.c > 0, "FitLogisticRegression: C must be > 0");
  const torch::Tensor labels = y.to(torch::kInt64);
  TORCH_CHECK(labels.min().item<int64_t>() >= 0 && labels.max().item<int64_t>() < num_classes,
              "FitLogisticRegression: labels must lie in [0, ", num_classes, ")");
  const torch::Tensor inputs = x.to(torch::kFloat64);
  const int64_t n = inputs.size(0), d = inputs.size(1);
  torch::Tensor weight = torch::zeros({num_classes, d}, torch::kFloat64).requires_grad_(true);
  torch::Tensor bias = torch::zeros({num_classes}, torch::kFloat64).requires_grad_(true);
  // The objective divided by C * N (same minimiser, better scaled for the line search).
  const double l2 = 0.5 / (options.c * static_cast<double>(n));
  torch::optim::LBFGS optimizer(
      {weight, bias}, torch::optim::LBFGSOptions(1.0)
                          .max_iter(options.max_iterations)
                          .max_eval(options.max_iterations * 5 / 4)
                          .tolerance_grad(options.tolerance)
                          .tolerance_change(1e-12)
                          .history_size(20)
                          .line_search_fn("strong_wolfe"));
  auto closure = [&]() -> torch::Tensor {
    torch::AutoGradMode grad(true);
    optimizer.zero_grad();
    const torch::Tensor logits = torch::addmm(bias, inputs, weight.t());
    const torch::Tensor loss =
        torch::nn::functional::cross_entropy(logits, labels) + l2 * weight.pow(2).sum();
    loss.backward();
    return loss;
  };
  optimizer.step(closure);
  return {weight.detach(), bias.detach()};
}

}  // namespace repro
