#include "common/train/augment.h"

#include "common/train/seed.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

// out[b] must equal some shifted window of the zero-padded image (optionally flipped); find it.
bool IsCropOf(const torch::Tensor& out, const torch::Tensor& image, int64_t padding, bool allow_flip) {
  const int64_t h = image.size(1), w = image.size(2);
  const torch::Tensor padded =
      torch::constant_pad_nd(image, {padding, padding, padding, padding}, 0.0);
  for (int64_t dy = 0; dy <= 2 * padding; ++dy) {
    for (int64_t dx = 0; dx <= 2 * padding; ++dx) {
      const torch::Tensor window = padded.narrow(1, dy, h).narrow(2, dx, w);
      if (torch::equal(out, window)) return true;
      if (allow_flip && torch::equal(out, window.flip({2}))) return true;
    }
  }
  return false;
}

TEST(AugmentTest, CropAndFlipGiveShiftedWindowsAndKeepShape) {
  torch::manual_seed(0);
  const torch::Tensor images = torch::rand({16, 2, 5, 7});
  torch::Generator g = MakeGenerator(1, 2, 3);
  const torch::Tensor out = RandomCropAndFlip(images, 2, /*flip=*/true, g);
  ASSERT_EQ(out.sizes(), images.sizes());
  int flipped_or_shifted = 0;
  for (int64_t b = 0; b < 16; ++b) {
    EXPECT_TRUE(IsCropOf(out[b], images[b], 2, true)) << b;
    flipped_or_shifted += !torch::equal(out[b], images[b]);
  }
  EXPECT_GT(flipped_or_shifted, 8);  // 1/50 chance per image of neither
}

TEST(AugmentTest, FlipOnlyFlipsAboutHalf) {
  const torch::Tensor images = torch::rand({200, 1, 3, 4});
  torch::Generator g = MakeGenerator(9, 0, 0);
  const torch::Tensor out = RandomCropAndFlip(images, 0, true, g);
  int flipped = 0;
  for (int64_t b = 0; b < 200; ++b) {
    const bool same = torch::equal(out[b], images[b]);
    const bool flip = torch::equal(out[b], images[b].flip({2}));
    EXPECT_TRUE(same || flip);
    flipped += flip;
  }
  EXPECT_GT(flipped, 70);
  EXPECT_LT(flipped, 130);
}

TEST(AugmentTest, SameGeneratorSeedSameOutput) {
  const torch::Tensor images = torch::rand({8, 3, 6, 6});
  AugmentOptions o;
  o.crop_padding = 1;
  o.horizontal_flip = true;
  torch::Generator g1 = MakeGenerator(4, 4, 4), g2 = MakeGenerator(4, 4, 4), g3 = MakeGenerator(5, 4, 4);
  const torch::Tensor a = Augment(images, o, g1);
  EXPECT_TRUE(torch::equal(a, Augment(images, o, g2)));
  EXPECT_FALSE(torch::equal(a, Augment(images, o, g3)));
}

TEST(AugmentTest, NoAugmentationIsIdentity) {
  const torch::Tensor images = torch::rand({2, 1, 4, 4});
  torch::Generator g = MakeGenerator(0, 0, 0);
  EXPECT_TRUE(torch::equal(Augment(images, AugmentOptions(), g), images));
}

TEST(AugmentTest, NormalizePerChannel) {
  const torch::Tensor images = torch::ones({2, 2, 3, 3});
  Normalization n;
  n.mean = {0.5, 0.25};
  n.std = {0.5, 0.25};
  const torch::Tensor out = Normalize(images, n);
  EXPECT_TRUE(torch::allclose(out.select(1, 0), torch::full({2, 3, 3}, 1.0)));
  EXPECT_TRUE(torch::allclose(out.select(1, 1), torch::full({2, 3, 3}, 3.0)));
  n.mean = {0.1, 0.2, 0.3};
  n.std = {1, 1, 1};
  EXPECT_THROW(Normalize(images, n), c10::Error);
  n.mean = {0.5};
  n.std = {0.0};
  EXPECT_THROW(Normalize(images, n), c10::Error);
}

}  // namespace
}  // namespace repro
