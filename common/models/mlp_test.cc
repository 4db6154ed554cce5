#include "common/models/mlp.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

TEST(MLPTest, ShapesAndParameterCount) {
  torch::manual_seed(0);
  MLP mlp(MLPOptions().in_features(784).hidden_sizes({64, 32}).num_classes(10));
  EXPECT_EQ(CountParameters(*mlp), (784 * 64 + 64) + (64 * 32 + 32) + (32 * 10 + 10));
  const torch::Tensor x = torch::rand({4, 1, 28, 28});
  const torch::Tensor f = mlp->features(x);
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({4, 32}));
  EXPECT_GE(f.min().item<float>(), 0.0f);  // after ReLU
  Classifier& model = *mlp;
  EXPECT_TRUE(torch::equal(model.forward(x), model.logits_from_features(f)));
}

TEST(MLPTest, MatchesHandWrittenComputation) {
  torch::manual_seed(1);
  MLP mlp(MLPOptions().in_features(6).hidden_sizes({5}).num_classes(3).classifier_bias(false));
  const torch::Tensor x = torch::randn({2, 6});
  auto* first = mlp->hidden[0]->as<torch::nn::Linear>();
  ASSERT_NE(first, nullptr);
  const torch::Tensor expected =
      torch::relu(x.matmul(first->weight.t()) + first->bias).matmul(mlp->classifier->weight.t());
  EXPECT_TRUE(torch::allclose(mlp->forward(x), expected, 1e-5, 1e-6));
  EXPECT_FALSE(mlp->classifier->bias.defined());
}

TEST(MLPTest, BatchNormAndDropoutLayers) {
  MLP mlp(MLPOptions().in_features(8).hidden_sizes({16}).num_classes(4).batch_norm(true).dropout(
      0.5));
  ASSERT_EQ(mlp->hidden->size(), 4u);  // Linear, BatchNorm1d, ReLU, Dropout
  EXPECT_NE(mlp->hidden[1]->as<torch::nn::BatchNorm1d>(), nullptr);
  EXPECT_NE(mlp->hidden[3]->as<torch::nn::Dropout>(), nullptr);
}

TEST(MLPTest, NoHiddenLayersIsLinear) {
  MLP mlp(MLPOptions().in_features(5).hidden_sizes({}).num_classes(2));
  EXPECT_EQ(mlp->feature_dim(), 5);
  const torch::Tensor x = torch::randn({3, 5});
  EXPECT_TRUE(torch::equal(mlp->features(x), x));
}

TEST(MLPTest, RejectsWrongInputWidth) {
  MLP mlp(MLPOptions().in_features(10));
  EXPECT_THROW(mlp->forward(torch::rand({2, 11})), c10::Error);
}

}  // namespace
}  // namespace repro
