#include "common/train/schedule.h"

#include <cmath>

#include "common/port/torch.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(ScheduleTest, LinearWarmupThenCosine) {
  ScheduleOptions o;
  o.base_lr = 1.0;
  o.min_lr = 0.1;
  o.warmup_steps = 4;
  o.total_steps = 14;
  const LearningRateSchedule s(o);
  EXPECT_DOUBLE_EQ(s.LearningRateAt(0), 0.25);
  EXPECT_DOUBLE_EQ(s.LearningRateAt(1), 0.5);
  EXPECT_DOUBLE_EQ(s.LearningRateAt(3), 1.0);
  EXPECT_DOUBLE_EQ(s.LearningRateAt(4), 1.0);    // cosine starts at the top
  EXPECT_NEAR(s.LearningRateAt(9), 0.55, 1e-12);  // half way: (1 + 0.1) / 2
  // A quarter of the way: 0.1 + 0.9 * (1 + cos(pi / 4)) / 2.
  EXPECT_NEAR(s.LearningRateAt(6) - 0.0, 0.1 + 0.45 * (1 + std::cos(M_PI * 0.2)), 1e-12);
  EXPECT_NEAR(s.LearningRateAt(14), 0.1, 1e-12);
  EXPECT_NEAR(s.LearningRateAt(100), 0.1, 1e-12);  // clamped after the end
  for (int step = 5; step < 14; ++step) {
    EXPECT_LT(s.LearningRateAt(step), s.LearningRateAt(step - 1));
  }
}

TEST(ScheduleTest, ConstantAfterWarmupAndNoWarmup) {
  ScheduleOptions o;
  o.kind = ScheduleKind::kConstant;
  o.base_lr = 0.3;
  o.warmup_steps = 2;
  o.total_steps = 10;
  const LearningRateSchedule s(o);
  EXPECT_DOUBLE_EQ(s.LearningRateAt(0), 0.15);
  EXPECT_DOUBLE_EQ(s.LearningRateAt(7), 0.3);
  o.kind = ScheduleKind::kCosine;
  o.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(LearningRateSchedule(o).LearningRateAt(0), 0.3);
}

TEST(ScheduleTest, RejectsBadOptions) {
  ScheduleOptions o;
  o.total_steps = 0;
  EXPECT_THROW(LearningRateSchedule{o}, c10::Error);
  o.total_steps = 5;
  o.warmup_steps = 6;
  EXPECT_THROW(LearningRateSchedule{o}, c10::Error);
}

TEST(ScheduleTest, ApplyLearningRateSetsEveryGroup) {
  torch::Tensor a = torch::zeros({1}, torch::requires_grad());
  torch::Tensor b = torch::zeros({1}, torch::requires_grad());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{a});
  groups.emplace_back(std::vector<torch::Tensor>{b},
                      std::make_unique<torch::optim::SGDOptions>(0.5));
  torch::optim::SGD sgd(groups, torch::optim::SGDOptions(0.1));
  ApplyLearningRate(sgd, 0.042);
  for (auto& group : sgd.param_groups()) EXPECT_DOUBLE_EQ(group.options().get_lr(), 0.042);
}

}  // namespace
}  // namespace repro
