#include "common/data/video/clip_augment.h"

#include "gtest/gtest.h"

namespace repro {
namespace {

TEST(ClipAugmentTest, ShiftMovesEveryFrameAlike) {
  torch::Tensor frames = torch::zeros({3, 1, 8, 8});
  frames.index_put_({torch::indexing::Slice(), 0, 3, 4}, 1.0);
  ClipAugmentation aug;
  aug.shift_x = 2;
  aug.shift_y = -1;
  const torch::Tensor out = ApplyClipAugmentation(frames, aug);
  // Contrast 1, brightness 0: only the shift.
  for (int t = 0; t < 3; ++t) {
    EXPECT_EQ(out[t][0][2][6].item<float>(), 1.0f);
    EXPECT_EQ(out[t][0].sum().item<float>(), 1.0f);
  }
}

TEST(ClipAugmentTest, ContrastAndBrightnessAboutTheClipMean) {
  const torch::Tensor frames = torch::tensor({0.2f, 0.4f, 0.6f, 0.8f}).view({1, 1, 2, 2});
  ClipAugmentation aug;
  aug.contrast = 2.0f;
  aug.brightness = 0.05f;
  const torch::Tensor out = ApplyClipAugmentation(frames, aug);
  // mean 0.5: (v - 0.5) * 2 + 0.55, clamped.
  const torch::Tensor expected = torch::tensor({0.0f, 0.35f, 0.75f, 1.0f}).view({1, 1, 2, 2});
  EXPECT_TRUE(torch::allclose(out, expected, 1e-6, 1e-6)) << out;
}

TEST(ClipAugmentTest, DrawIsDeterministicAndInRange) {
  ClipAugmentOptions options;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const ClipAugmentation a = DrawClipAugmentation(options, seed);
    const ClipAugmentation b = DrawClipAugmentation(options, seed);
    EXPECT_EQ(a.shift_x, b.shift_x);
    EXPECT_EQ(a.contrast, b.contrast);
    EXPECT_LE(std::abs(a.shift_x), 4);
    EXPECT_LE(std::abs(a.shift_y), 4);
    EXPECT_GE(a.contrast, 0.8f);
    EXPECT_LE(a.contrast, 1.2f);
    EXPECT_LE(std::abs(a.brightness), 0.1f);
  }
}

}  // namespace
}  // namespace repro
