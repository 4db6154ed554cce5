#include "common/config/train_options.h"

#include "common/results/text_config.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

TrainConfig Parse(const std::string& text) {
  TrainConfig config;
  EXPECT_TRUE(ParseTextConfig(text, "t.pbtxt", &config).ok());
  return config;
}

TEST(TrainOptionsTest, ConvertsEveryField) {
  auto options = ToTrainOptions(Parse(
      "epochs: 3 batch_size: 64 optimizer { kind: \"adamw\" lr: 0.001 weight_decay: 0.05 beta2: 0.98 } "
      "schedule: \"constant\" warmup_steps: 10 crop_padding: 2 horizontal_flip: true "
      "normalize_mean: 0.5 normalize_std: 0.25 label_smoothing: 0.1 log_every: 7"));
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->epochs, 3);
  EXPECT_EQ(options->batch_size, 64);
  EXPECT_EQ(options->optimizer.kind, OptimizerKind::kAdamW);
  EXPECT_DOUBLE_EQ(options->optimizer.beta1, 0.9);
  EXPECT_DOUBLE_EQ(options->optimizer.beta2, 0.98);
  EXPECT_EQ(options->schedule, ScheduleKind::kConstant);
  EXPECT_EQ(options->augment.crop_padding, 2);
  EXPECT_TRUE(options->augment.horizontal_flip);
  EXPECT_EQ(options->augment.normalize.std, std::vector<double>{0.25});
  EXPECT_EQ(options->log_every, 7);
}

TEST(TrainOptionsTest, RejectsBadValuesNamingTheField) {
  EXPECT_EQ(ValidateTrainConfig(Parse("epochs: 1 batch_size: 8 optimizer { kind: \"sgd\" lr: 0.1 nesterov: true }"),
                                "t.pbtxt", "train")
                .message(),
            "t.pbtxt: field 'train.optimizer.nesterov' needs momentum > 0");
  EXPECT_FALSE(ValidateTrainConfig(Parse("epochs: 1 batch_size: 8 optimizer { kind: \"rmsprop\" lr: 0.1 }"), "t", "x").ok());
  EXPECT_FALSE(ValidateTrainConfig(Parse("epochs: 1 batch_size: 0 optimizer { kind: \"sgd\" lr: 0.1 }"), "t", "x").ok());
  EXPECT_FALSE(ValidateTrainConfig(Parse("batch_size: 8 optimizer { kind: \"sgd\" lr: 0.1 }"), "t", "x").ok());
}

}  // namespace
}  // namespace repro
