#include "common/train/seed.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(SeedTest, SeedEverythingMakesDefaultGeneratorRepeatable) {
  SeedEverything(42);
  const torch::Tensor a = torch::randn({8});
  const torch::Tensor a_dropout = torch::dropout(torch::ones({16}), 0.5, /*train=*/true);
  SeedEverything(42);
  EXPECT_TRUE(torch::equal(torch::randn({8}), a));
  EXPECT_TRUE(torch::equal(torch::dropout(torch::ones({16}), 0.5, true), a_dropout));
  SeedEverything(43);
  EXPECT_FALSE(torch::equal(torch::randn({8}), a));
}

TEST(SeedTest, GeneratorsAreIndependentStreams) {
  torch::Generator g1 = MakeGenerator(7, 1, 3);
  torch::Generator g2 = MakeGenerator(7, 1, 3);
  SeedEverything(0);
  torch::randn({100});  // drawing from the default generator does not disturb them
  EXPECT_TRUE(torch::equal(torch::randperm(50, g1, torch::kLong), torch::randperm(50, g2, torch::kLong)));
  EXPECT_NE(MixSeed(7, 1, 3), MixSeed(7, 1, 4));
  EXPECT_NE(MixSeed(7, 1, 3), MixSeed(7, 2, 3));
  EXPECT_NE(MixSeed(7, 1, 3), MixSeed(8, 1, 3));
  EXPECT_EQ(MakeGenerator(7, 1, 3).current_seed(), MixSeed(7, 1, 3));
}

}  // namespace
}  // namespace repro
