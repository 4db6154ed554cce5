#include "mvformer/backbone.h"

#include "gtest/gtest.h"

namespace repro::mvformer {
namespace {

TEST(SpriteCnnTest, ShapesAndClassifier) {
  torch::manual_seed(0);
  SpriteCnn cnn;
  const torch::Tensor x = torch::rand({3, 1, 64, 64});
  const std::vector<torch::Tensor> maps = cnn->feature_maps(x);
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0].sizes(), torch::IntArrayRef({3, 64, 32, 32}));
  EXPECT_EQ(maps[1].sizes(), torch::IntArrayRef({3, 64, 16, 16}));
  EXPECT_EQ(maps[2].sizes(), torch::IntArrayRef({3, 64, 8, 8}));
  EXPECT_EQ(cnn->forward(torch::rand({2, 1, 24, 24})).sizes(), torch::IntArrayRef({2, 10}));
}

TEST(SpriteCnnTest, BackboneTokensAreThePooledLayersAndClsTheLastLayerMean) {
  torch::manual_seed(1);
  SpriteCnn cnn;
  const torch::Tensor x = torch::rand({2, 1, 64, 64});
  const std::vector<torch::Tensor> maps = cnn->feature_maps(x);
  std::unique_ptr<FrameBackbone> backbone = MakeSpriteCnnBackbone(cnn, 8);
  const FrameFeatures f = backbone->Extract(x);
  ASSERT_EQ(f.tokens.sizes(), torch::IntArrayRef({2, 64, 192}));
  ASSERT_EQ(f.cls.sizes(), torch::IntArrayRef({2, 64}));
  EXPECT_EQ(backbone->layer_channels(), (std::vector<int64_t>{64, 64, 64}));
  // Token (row 1, col 2) of layer 1 (conv3, 16x16) is the mean of its 2x2 block.
  const torch::Tensor block = maps[1][0].slice(1, 2, 4).slice(2, 4, 6).mean({1, 2});
  EXPECT_TRUE(torch::allclose(f.tokens[0][1 * 8 + 2].slice(0, 64, 128), block, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(f.cls, f.tokens.slice(2, 128, 192).mean(1), 1e-5, 1e-6));
  // Frozen: no gradients.
  EXPECT_FALSE(f.tokens.requires_grad());
}

TEST(RenderSpriteImagesTest, DeterministicSpriteOnBackground) {
  LabeledImages images;
  images.images = torch::zeros({4, 1, 28, 28});
  images.images.slice(2, 4, 24).slice(3, 4, 24).fill_(1.0f);
  images.labels = torch::arange(4, torch::kInt64);
  const LabeledImages a = RenderSpriteImages(images, 3), b = RenderSpriteImages(images, 3);
  ASSERT_EQ(a.images.sizes(), torch::IntArrayRef({4, 1, 20, 20}));
  EXPECT_TRUE(torch::equal(a.images, b.images));
  EXPECT_TRUE(torch::equal(a.labels, images.labels));
  // Centre pixels carry the sprite (>= 0.7), corners the background (<= 0.2 + noise).
  EXPECT_GE(a.images.select(2, 10).select(2, 10).min().item<float>(), 0.69f);
  EXPECT_LE(a.images.select(2, 0).select(2, 0).max().item<float>(), 0.35f);
}

TEST(DinoVitB8Test, MissingWeightsGiveOneClearError) {
  const auto backbone = LoadDinoVitB8Backbone("/nonexistent/dino_vitb8.pt", {3, 7, 11});
  ASSERT_FALSE(backbone.ok());
  EXPECT_NE(backbone.status().message().find("DINO ViT-B/8 weights not found at '/nonexistent/dino_vitb8.pt'"),
            std::string::npos)
      << backbone.status();
}

}  // namespace
}  // namespace repro::mvformer
