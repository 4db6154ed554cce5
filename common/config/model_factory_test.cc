#include "common/config/model_factory.h"

#include "common/results/text_config.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

ModelConfig Parse(const std::string& text) {
  ModelConfig config;
  EXPECT_TRUE(ParseTextConfig(text, "m.pbtxt", &config).ok());
  return config;
}

TEST(ModelFactoryTest, BuildsEachArchitecture) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  for (const char* text : {
           "resnet { widths: [8, 16] blocks_per_stage: [1, 1] embedding_dim: 12 } num_classes: 5 "
           "in_channels: 1 image_size: 28",
           "vit { patch_size: 7 dim: 16 depth: 1 heads: 2 } num_classes: 5 in_channels: 1 image_size: 28",
           "mlp { hidden_sizes: [32, 12] } num_classes: 5 in_channels: 1 image_size: 28"}) {
    auto model = MakeClassifier(Parse(text));
    ASSERT_TRUE(model.ok()) << model.status().message();
    EXPECT_EQ((*model)->forward(x).sizes(), (std::vector<int64_t>{2, 5})) << text;
    EXPECT_EQ((*model)->num_classes(), 5);
  }
  EXPECT_EQ(ModelName(Parse("mlp { hidden_sizes: [32, 12] } num_classes: 5")), "MLP 32-12");
}

TEST(ModelFactoryTest, RejectsBadValuesNamingTheField) {
  const absl::Status status = ValidateModelConfig(
      Parse("vit { patch_size: 5 dim: 16 depth: 1 heads: 2 } num_classes: 5 in_channels: 1 image_size: 28"),
      "m.pbtxt", "new_model");
  EXPECT_EQ(status.message(), "m.pbtxt: field 'new_model.vit.patch_size' must be > 0 and divide image_size");
  EXPECT_FALSE(ValidateModelConfig(Parse("num_classes: 5 in_channels: 1 image_size: 28"), "m", "x").ok());
  EXPECT_FALSE(ValidateModelConfig(
      Parse("resnet { widths: [8] blocks_per_stage: [1, 1] } num_classes: 5 in_channels: 1 image_size: 28"),
      "m", "x").ok());
}

}  // namespace
}  // namespace repro
