#include "mvformer/scl_loss.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro::mvformer {
namespace {

// Straight from the spec's formula, with loops: the KL of the Gaussian prior against the softmax
// over the other view, over valid frames, divided by the valid frame count.
double ReferenceLoss(const torch::Tensor& emb, const torch::Tensor& steps, const torch::Tensor& lengths,
                     const torch::Tensor& valid, double tau, double sigma2) {
  const int64_t b = emb.size(0), t = emb.size(2);
  double total = 0;
  int64_t count = 0;
  for (int64_t v = 0; v < b; ++v) {
    for (int64_t view = 0; view < 2; ++view) {
      const int64_t other = 1 - view;
      for (int64_t i = 0; i < t; ++i) {
        if (!valid[v][view][i].item<bool>()) continue;
        ++count;
        std::vector<double> prior(t, 0.0), logit(t, 0.0);
        double prior_sum = 0, denominator = 0;
        for (int64_t j = 0; j < t; ++j) {
          const double si = steps[v][view][i].item<double>(), sj = steps[v][other][j].item<double>();
          const double li = lengths[v][view].item<double>(), lj = lengths[v][other].item<double>();
          const bool ok = valid[v][other][j].item<bool>();
          const double d = ok ? std::abs(si / li * lj - sj) : 1e6;
          prior[j] = ok ? std::exp(-d * d / (2 * sigma2)) : 0.0;
          prior_sum += prior[j];
          logit[j] = (emb[v][view][i] * emb[v][other][j]).sum().item<double>() / tau;
          if (ok) denominator += std::exp(logit[j]);
        }
        // As CARL's code: every padded frame of the batch (any video, any view) enters the
        // denominator with weight 1e-6.
        for (int64_t u = 0; u < b; ++u) {
          for (int64_t w = 0; w < 2; ++w) {
            for (int64_t j = 0; j < t; ++j) {
              if (valid[u][w][j].item<bool>()) continue;
              denominator += 1e-6 * std::exp((emb[v][view][i] * emb[u][w][j]).sum().item<double>() / tau);
            }
          }
        }
        for (int64_t j = 0; j < t; ++j) {
          if (!valid[v][other][j].item<bool>() || prior[j] == 0) continue;
          const double w = prior[j] / prior_sum;
          const double q = std::exp(logit[j]) / denominator;
          total += w * (std::log(w) - std::log(q + 1e-6));
        }
      }
    }
  }
  return total / static_cast<double>(count);
}

TEST(SclLossTest, HandCheckedTwoFrameCase) {
  // One video, T = 2, views identical: u0 = w0 = (1, 0), u1 = w1 = (0, 1), steps 0, 1, sigma^2 = 0.5,
  // tau = 0.5. Prior row: [1, e^-1] / (1 + e^-1); softmax row: softmax([2, 0]). Every row alike.
  const torch::Tensor emb = torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 1.0f}).view({1, 2, 2, 2});
  const torch::Tensor steps = torch::tensor({0.0f, 1.0f, 0.0f, 1.0f}).view({1, 2, 2});
  const torch::Tensor lengths = torch::tensor({10.0f, 10.0f}).view({1, 2});
  const torch::Tensor valid = torch::ones({1, 2, 2}, torch::kBool);
  const double a = 1.0 / (1.0 + std::exp(-1.0)), q = 1.0 / (1.0 + std::exp(-2.0));
  const double expected = a * std::log(a / q) + (1 - a) * std::log((1 - a) / (1 - q));  // 0.08255
  const double loss = SequenceContrastiveLoss(emb, steps, lengths, valid, {0.5, 0.5}).item<double>();
  EXPECT_NEAR(loss, expected, 1e-5);
  EXPECT_NEAR(expected, 0.08255, 1e-4);
}

TEST(SclLossTest, MatchesTheFormulaWithPaddingAndSeveralVideos) {
  torch::manual_seed(0);
  const int64_t b = 3, t = 5;
  const torch::Tensor emb = torch::nn::functional::normalize(
      torch::randn({b, 2, t, 4}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  const torch::Tensor steps = std::get<0>(torch::randint(0, 12, {b, 2, t}).to(torch::kFloat32).sort(-1));
  const torch::Tensor lengths = torch::tensor({10.0f, 10.0f, 8.0f, 8.0f, 12.0f, 12.0f}).view({b, 2});
  torch::Tensor valid = steps.lt(lengths.unsqueeze(-1));
  valid[1][0][4] = false;
  const double loss = SequenceContrastiveLoss(emb, steps, lengths, valid, {0.1, 10}).item<double>();
  EXPECT_NEAR(loss, ReferenceLoss(emb, steps, lengths, valid, 0.1, 10), 1e-4);
}

TEST(SclLossTest, OtherVideosAreNotNegatives) {
  // Moving video 1's embeddings onto video 0's changes nothing for video 0 (weight 0 across videos).
  torch::manual_seed(1);
  const torch::Tensor emb = torch::nn::functional::normalize(
      torch::randn({2, 2, 4, 3}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  const torch::Tensor steps = torch::arange(4, torch::kFloat32).view({1, 1, 4}).expand({2, 2, 4}).contiguous();
  const torch::Tensor lengths = torch::full({2, 2}, 4.0f);
  const torch::Tensor valid = torch::ones({2, 2, 4}, torch::kBool);
  const SclOptions options{0.1, 1.0};
  torch::Tensor copied = emb.clone();
  copied[1].copy_(emb[0]);
  const double l1 = SequenceContrastiveLoss(emb.slice(0, 0, 1), steps.slice(0, 0, 1), lengths.slice(0, 0, 1),
                                            valid.slice(0, 0, 1), options).item<double>();
  const double l2 = SequenceContrastiveLoss(copied, steps, lengths, valid, options).item<double>();
  EXPECT_NEAR(l1, l2, 1e-5);  // both videos now have video 0's loss, averaged
}

TEST(SclLossTest, AlignedViewsScoreLowerThanShuffled) {
  torch::manual_seed(2);
  const int64_t t = 8;
  const torch::Tensor base = torch::nn::functional::normalize(
      torch::randn({1, 1, t, 16}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  const torch::Tensor aligned = torch::cat({base, base}, 1);
  const torch::Tensor shuffled = torch::cat({base, base.index_select(2, torch::randperm(t))}, 1);
  const torch::Tensor steps = torch::arange(t, torch::kFloat32).view({1, 1, t}).expand({1, 2, t}).contiguous();
  const torch::Tensor lengths = torch::full({1, 2}, static_cast<float>(t));
  const torch::Tensor valid = torch::ones({1, 2, t}, torch::kBool);
  EXPECT_LT(SequenceContrastiveLoss(aligned, steps, lengths, valid, {}).item<double>(),
            SequenceContrastiveLoss(shuffled, steps, lengths, valid, {}).item<double>());
}

}  // namespace
}  // namespace repro::mvformer
