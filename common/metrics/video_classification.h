// Phase classification for fine-grained video representations (CARL / MV-Former evaluation, spec §5):
// multinomial logistic regression on frozen per-frame embeddings, as scikit-learn's
// LogisticRegression(solver="lbfgs", multi_class="multinomial", C=1) fits it, scored by frame
// accuracy on the val frames.
//
//   LogisticRegression model = FitLogisticRegression(train_x, train_y, /*num_classes=*/4);
//   double accuracy = model.Accuracy(val_x, val_y);
#ifndef COMMON_METRICS_VIDEO_CLASSIFICATION_H_
#define COMMON_METRICS_VIDEO_CLASSIFICATION_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

struct LogisticRegressionOptions {
  double c = 1.0;               // inverse L2 strength (scikit-learn's C); the bias is not penalised
  int64_t max_iterations = 1000;  // L-BFGS iterations
  // Stop when the largest gradient entry of the objective / (C N) is below this (scikit-learn's tol
  // for lbfgs, which scales its objective the same way).
  double tolerance = 1e-4;
};

struct LogisticRegression {
  torch::Tensor weight;  // [K, D] float64
  torch::Tensor bias;    // [K] float64

  // Class indices [N] of x [N, D].
  torch::Tensor Predict(const torch::Tensor& x) const;
  // Fraction of rows of x whose predicted class equals y [N] (in [0, 1]).
  double Accuracy(const torch::Tensor& x, const torch::Tensor& y) const;
};

// Minimises  C * sum_i CE(W x_i + b, y_i) + 0.5 * ||W||_F^2  (scikit-learn's objective) with L-BFGS
// (strong Wolfe line search), in float64. x: [N, D]; y: [N] int64 in [0, num_classes).
LogisticRegression FitLogisticRegression(const torch::Tensor& x, const torch::Tensor& y,
                                         int64_t num_classes,
                                         const LogisticRegressionOptions& options = {});

}  // namespace repro

#endif  // COMMON_METRICS_VIDEO_CLASSIFICATION_H_
