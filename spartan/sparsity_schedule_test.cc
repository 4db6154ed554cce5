// Tests of the density / sharpness / freeze schedule against the spec's formulas (§2.6).
#include "spartan/sparsity_schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace repro::spartan {
namespace {

TEST(SparsityScheduleTest, DensityRampsLinearlyThenStays) {
  SparsityScheduleOptions o;
  o.total_steps = 1000;
  o.final_density = 0.1;
  o.warmup_frac = 0.2;
  const SparsitySchedule s(o);
  EXPECT_DOUBLE_EQ(s.DensityAt(0), 1.0);
  EXPECT_NEAR(s.DensityAt(100), 0.55, 1e-12);  // halfway through the 200-step ramp
  EXPECT_NEAR(s.DensityAt(200), 0.1, 1e-12);
  EXPECT_NEAR(s.DensityAt(900), 0.1, 1e-12);
  EXPECT_EQ(s.ramp_end_step(), 200);
}

TEST(SparsityScheduleTest, BetaRampsToBlockScaledFinalValueAtFreeze) {
  SparsityScheduleOptions o;
  o.total_steps = 1000;
  o.finetune_frac = 0.2;
  o.beta_init = 1.0;
  o.beta_final = 20.0;
  o.block_size = 16 * 16;
  const SparsitySchedule s(o);
  EXPECT_EQ(s.freeze_step(), 800);
  EXPECT_DOUBLE_EQ(s.BetaAt(0), 1.0);
  EXPECT_NEAR(s.BetaAt(400), 1.0 + 0.5 * (20.0 * 16.0 - 1.0), 1e-9);
  EXPECT_NEAR(s.BetaAt(800), 320.0, 1e-9);
  EXPECT_NEAR(s.BetaAt(1000), 320.0, 1e-9);
  EXPECT_FALSE(s.FrozenAt(800));
  EXPECT_TRUE(s.FrozenAt(801));
}

TEST(SparsityScheduleTest, NoWarmupMeansFinalDensityFromTheStart) {
  SparsityScheduleOptions o;
  o.total_steps = 10;
  o.final_density = 0.3;
  o.warmup_frac = 0.0;
  EXPECT_DOUBLE_EQ(SparsitySchedule(o).DensityAt(1), 0.3);
}

}  // namespace
}  // namespace repro::spartan
