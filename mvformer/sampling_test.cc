#include "mvformer/sampling.h"

#include "gtest/gtest.h"

namespace repro::mvformer {
namespace {

TEST(TimeAugmentSampleTest, SortedDistinctAndMaskedBeyondTheVideo) {
  torch::Generator g = at::detail::createCPUGenerator(5);
  int64_t masked = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const ViewSample s = TimeAugmentSample(/*length=*/40, /*num_frames=*/16, 1.5, g);
    ASSERT_EQ(s.steps.size(0), 16);
    const torch::Tensor diff = s.steps.slice(0, 1) - s.steps.slice(0, 0, 15);
    EXPECT_TRUE(diff.gt(0).all().item<bool>());           // sorted, without replacement
    EXPECT_TRUE(s.steps.lt(60).all().item<bool>());       // block = ceil(r L) <= 60
    EXPECT_TRUE(torch::equal(s.valid, s.steps.lt(40)));   // beyond L: padding
    EXPECT_TRUE(s.frames.le(39).all().item<bool>());
    masked += s.valid.logical_not().sum().item<int64_t>();
  }
  EXPECT_GT(masked, 0);
}

TEST(TimeAugmentSampleTest, ShortVideoIsPadded) {
  torch::Generator g = at::detail::createCPUGenerator(6);
  const ViewSample s = TimeAugmentSample(/*length=*/5, /*num_frames=*/8, 1.0, g);
  // r = 1: block = L, so all 5 frames in order, then 3 padded entries loading the last frame.
  EXPECT_TRUE(torch::equal(s.steps.slice(0, 0, 5), torch::arange(5, torch::kFloat32)));
  EXPECT_TRUE(s.valid.slice(0, 0, 5).all().item<bool>());
  EXPECT_FALSE(s.valid.slice(0, 5).any().item<bool>());
  EXPECT_TRUE(s.frames.slice(0, 5).eq(4).all().item<bool>());
}

TEST(TimeAugmentSampleTest, DeterministicForAGeneratorSeed) {
  torch::Generator a = at::detail::createCPUGenerator(7), b = at::detail::createCPUGenerator(7);
  EXPECT_TRUE(torch::equal(TimeAugmentSample(50, 10, 1.5, a).steps, TimeAugmentSample(50, 10, 1.5, b).steps));
}

}  // namespace
}  // namespace repro::mvformer
