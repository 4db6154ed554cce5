#include "common/models/resnet.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

TEST(ResNetTest, SmallCifarNetShapesAndParameterCount) {
  torch::manual_seed(0);
  ResNet net(ResNetOptions().in_channels(1).num_classes(10));
  // Hand count: stem 144+32, stage1 2*2304+64, stage2 4608+9216+128+512+64,
  // stage3 18432+36864+256+2048+128, classifier 640+10.
  EXPECT_EQ(CountParameters(*net), 77754);
  const torch::Tensor x = torch::rand({5, 1, 28, 28});
  EXPECT_EQ(net->forward(x).sizes(), torch::IntArrayRef({5, 10}));
  EXPECT_EQ(net->features(x).sizes(), torch::IntArrayRef({5, 64}));
  EXPECT_EQ(net->feature_dim(), 64);
  EXPECT_EQ(net->backbone_dim(), 64);
}

TEST(ResNetTest, EmbeddingLayerSetsFeatureWidth) {
  torch::manual_seed(0);
  ResNet net(ResNetOptions().in_channels(3).num_classes(7).embedding_dim(32).classifier_bias(false));
  net->eval();
  const torch::Tensor x = torch::rand({4, 3, 16, 16});
  const torch::Tensor f = net->features(x);
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({4, 32}));
  EXPECT_EQ(net->feature_dim(), 32);
  EXPECT_EQ(net->backbone_dim(), 64);
  // Through the shared interface: forward == logits_from_features(features).
  Classifier& model = *net;
  EXPECT_TRUE(torch::equal(model.forward(x), model.logits_from_features(f)));
  EXPECT_EQ(model.num_classes(), 7);
}

TEST(ResNetTest, PaperScaleParameterCountsMatchTorchvision) {
  // torchvision.models.resnet18() / resnet50() with 1000 classes.
  EXPECT_EQ(CountParameters(*ResNet(ResNet18Options(1000))), 11689512);
  EXPECT_EQ(CountParameters(*ResNet(ResNet50Options(1000))), 25557032);
}

TEST(ResNetTest, ImageNetStemDownsamplesByFour) {
  ResNet net(ResNetOptions()
                 .in_channels(3)
                 .num_classes(5)
                 .widths({8, 16})
                 .blocks_per_stage({1, 1})
                 .block(ResNetBlock::kBottleneck)
                 .stem(ResNetStem::kImageNet));
  EXPECT_EQ(net->feature_dim(), 64);  // 4 x 16
  EXPECT_EQ(net->forward(torch::rand({2, 3, 32, 32})).sizes(), torch::IntArrayRef({2, 5}));
}

TEST(ResNetTest, CustomStridesAreApplied) {
  // With strides 2/2/2 a 28x28 input ends at 4x4; the output shape does not show it, so check the
  // stage output through the Sequential.
  ResNet net(ResNetOptions().in_channels(1).strides({2, 2, 2}));
  auto children = net->named_children();
  torch::nn::Sequential stem = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(children["stem"]);
  torch::nn::Sequential stages =
      std::dynamic_pointer_cast<torch::nn::SequentialImpl>(children["stages"]);
  ASSERT_TRUE(stem && stages);
  const torch::Tensor y = stages->forward(stem->forward(torch::rand({1, 1, 28, 28})));
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({1, 64, 4, 4}));
}

TEST(ResNetTest, ZeroInitResidualMakesBlockIdentityPlusRelu) {
  torch::manual_seed(1);
  BasicBlock block(8, 8, 1, /*zero_init_residual=*/true);
  block->eval();
  const torch::Tensor x = torch::randn({2, 8, 5, 5});
  EXPECT_TRUE(torch::allclose(block->forward(x), torch::relu(x)));
}

TEST(ResNetTest, GradientsReachEveryParameter) {
  torch::manual_seed(2);
  ResNet net(ResNetOptions().in_channels(1).num_classes(3).widths({4, 8}).blocks_per_stage({1, 2}));
  net->forward(torch::rand({3, 1, 12, 12})).sum().backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
}

TEST(ResNetTest, RejectsWrongChannelCountAndBadOptions) {
  ResNet net(ResNetOptions().in_channels(1));
  EXPECT_THROW(net->forward(torch::rand({2, 3, 28, 28})), c10::Error);
  EXPECT_THROW(ResNet(ResNetOptions().widths({16, 32}).blocks_per_stage({1})), c10::Error);
}

}  // namespace
}  // namespace repro
