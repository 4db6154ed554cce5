#include "common/models/vit.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

TEST(ViTTest, TinyViTShapes) {
  torch::manual_seed(0);
  ViT vit{ViTOptions()};  // 28x28x1, patch 7, dim 48, depth 3, 4 heads
  EXPECT_EQ(vit->num_patches(), 16);
  const torch::Tensor x = torch::rand({3, 1, 28, 28});
  EXPECT_EQ(vit->tokens(x).sizes(), torch::IntArrayRef({3, 17, 48}));
  vit->eval();
  const torch::Tensor f = vit->features(x);
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({3, 48}));
  Classifier& model = *vit;
  EXPECT_TRUE(torch::equal(model.forward(x), model.logits_from_features(f)));
  EXPECT_EQ(model.forward(x).sizes(), torch::IntArrayRef({3, 10}));
  EXPECT_EQ(model.feature_dim(), 48);
}

TEST(ViTTest, TinyViTParameterCount) {
  ViT vit{ViTOptions()};
  // patch conv 49*48+48, cls 48, pos 17*48; per block: 2 LN 192, qkv 48*144+144, proj 48*48+48,
  // fc1 48*96+96, fc2 96*48+48; final LN 96; head 48*10+10.
  const int64_t block = 192 + (48 * 144 + 144) + (48 * 48 + 48) + (48 * 96 + 96) + (96 * 48 + 48);
  EXPECT_EQ(CountParameters(*vit), (49 * 48 + 48) + 48 + 17 * 48 + 3 * block + 96 + 490);
}

TEST(ViTTest, ViTB16ParameterCountMatchesTorchvision) {
  // torchvision.models.vit_b_16() with 1000 classes.
  EXPECT_EQ(CountParameters(*ViT(ViTB16Options(1000))), 86567656);
}

TEST(ViTTest, PositionEmbeddingMakesPatchOrderMatter) {
  torch::manual_seed(1);
  ViT vit(ViTOptions().image_size(8).patch_size(4).dim(16).depth(1).heads(2).mlp_dim(16));
  vit->eval();
  const torch::Tensor x = torch::rand({1, 1, 8, 8});
  const torch::Tensor swapped = torch::cat({x.narrow(2, 4, 4), x.narrow(2, 0, 4)}, 2);
  EXPECT_FALSE(torch::allclose(vit->features(x), vit->features(swapped)));
}

TEST(ViTTest, RejectsWrongImageSize) {
  ViT vit{ViTOptions()};
  EXPECT_THROW(vit->forward(torch::rand({1, 1, 32, 32})), c10::Error);
  EXPECT_THROW(ViT(ViTOptions().image_size(30).patch_size(7)), c10::Error);
}

}  // namespace
}  // namespace repro
