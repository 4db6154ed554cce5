#include "common/train/optimizer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro {
namespace {

// One step on loss = sum(w * g) (so the gradient is g), compared with the update rule written out.
torch::Tensor StepOnce(const OptimizerOptions& options, const torch::Tensor& w0,
                       const torch::Tensor& g, int steps = 1) {
  torch::Tensor w = w0.clone().requires_grad_(true);
  auto optimizer = MakeOptimizer({w}, options);
  for (int i = 0; i < steps; ++i) {
    optimizer->zero_grad();
    (w * g).sum().backward();
    optimizer->step();
  }
  return w.detach();
}

TEST(OptimizerTest, SgdNesterovMatchesUpdateRule) {
  OptimizerOptions o;
  o.kind = OptimizerKind::kSgd;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 0.01;
  const torch::Tensor w0 = torch::tensor({1.0, -2.0}, torch::kDouble);
  const torch::Tensor g = torch::tensor({0.5, 0.25}, torch::kDouble);
  // Step 1: d = g + wd w; buf = d; update = d + m buf.  Step 2: buf = m buf + d'.
  torch::Tensor w = w0.clone();
  torch::Tensor d = g + 0.01 * w;
  torch::Tensor buf = d.clone();
  w = w - 0.1 * (d + 0.9 * buf);
  d = g + 0.01 * w;
  buf = 0.9 * buf + d;
  w = w - 0.1 * (d + 0.9 * buf);
  EXPECT_TRUE(torch::allclose(StepOnce(o, w0, g, 2), w, 1e-12, 1e-12));
}

TEST(OptimizerTest, AdamCoupledAndAdamWDecoupledDecay) {
  const torch::Tensor w0 = torch::tensor({1.0, -2.0}, torch::kDouble);
  const torch::Tensor g = torch::tensor({0.5, 0.25}, torch::kDouble);
  OptimizerOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  // First Adam step: m_hat = d, v_hat = d^2, update = lr * d / (|d| + eps).
  o.kind = OptimizerKind::kAdam;
  const torch::Tensor d = g + 0.1 * w0;
  EXPECT_TRUE(torch::allclose(StepOnce(o, w0, g), w0 - 0.01 * d / (d.abs() + 1e-8), 1e-12, 1e-12));
  o.kind = OptimizerKind::kAdamW;
  const torch::Tensor expected = w0 * (1 - 0.01 * 0.1) - 0.01 * g / (g.abs() + 1e-8);
  EXPECT_TRUE(torch::allclose(StepOnce(o, w0, g), expected, 1e-12, 1e-12));
}

TEST(OptimizerTest, NoDecayGroupForBiasesAndNorms) {
  torch::nn::Sequential net(torch::nn::Linear(3, 4), torch::nn::BatchNorm1d(4));
  OptimizerOptions o;
  o.weight_decay = 0.5;
  o.no_decay_on_bias_and_norm = true;
  auto optimizer = MakeOptimizer(*net, o);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  EXPECT_EQ(optimizer->param_groups()[0].params().size(), 1u);  // the Linear weight
  EXPECT_EQ(optimizer->param_groups()[1].params().size(), 3u);  // bias, BN weight, BN bias
  const auto& no_decay =
      static_cast<const torch::optim::SGDOptions&>(optimizer->param_groups()[1].options());
  EXPECT_EQ(no_decay.weight_decay(), 0.0);
  o.no_decay_on_bias_and_norm = false;
  EXPECT_EQ(MakeOptimizer(*net, o)->param_groups().size(), 1u);
}

TEST(OptimizerTest, ParsesKindsAndRejectsBadOptions) {
  EXPECT_EQ(*ParseOptimizerKind("AdamW"), OptimizerKind::kAdamW);
  EXPECT_EQ(*ParseOptimizerKind("sgd"), OptimizerKind::kSgd);
  EXPECT_FALSE(ParseOptimizerKind("rmsprop").ok());
  EXPECT_EQ(OptimizerKindName(OptimizerKind::kAdam), "adam");
  OptimizerOptions o;
  o.nesterov = true;  // without momentum
  EXPECT_THROW(MakeOptimizer({torch::zeros({1}, torch::requires_grad())}, o), c10::Error);
  o = OptimizerOptions();
  o.lr = -1;
  EXPECT_THROW(MakeOptimizer({torch::zeros({1}, torch::requires_grad())}, o), c10::Error);
}

}  // namespace
}  // namespace repro
