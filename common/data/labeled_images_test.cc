#include "common/data/labeled_images.h"

#include <map>
#include <set>
#include <vector>

#include "common/port/torch.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

// Item i has label labels[i] and every pixel equal to i, so rows can be traced back.
LabeledImages MakeData(const std::vector<int64_t>& labels) {
  const int64_t n = static_cast<int64_t>(labels.size());
  LabeledImages data;
  data.images =
      torch::arange(n, torch::kFloat32).view({n, 1, 1, 1}).expand({n, 1, 2, 3}).contiguous();
  data.labels = torch::tensor(labels, torch::kInt64);
  return data;
}

std::vector<int64_t> ToVector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// The original item index of each row of `images` (checks that the whole row carries it).
std::vector<int64_t> Ids(const torch::Tensor& images) {
  const torch::Tensor first = images.select(3, 0).select(2, 0).select(1, 0);
  EXPECT_TRUE(torch::equal(images, first.view({-1, 1, 1, 1}).expand_as(images)));
  return ToVector(first);
}

TEST(LabeledImagesTest, SelectTakesRowsInOrder) {
  const LabeledImages data = MakeData({5, 6, 7, 8});
  const LabeledImages s = Select(data, torch::tensor({3, 0, 3}, torch::kInt64));
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(ToVector(s.labels), (std::vector<int64_t>{8, 5, 8}));
  EXPECT_EQ(s.images.sizes(), torch::IntArrayRef({3, 1, 2, 3}));
  EXPECT_EQ(Ids(s.images), (std::vector<int64_t>{3, 0, 3}));
}

TEST(LabeledImagesTest, SelectRejectsBadIndex) {
  const LabeledImages data = MakeData({0, 1});
  EXPECT_THROW(Select(data, torch::tensor({0}, torch::kInt32)), c10::Error);
  EXPECT_THROW(Select(data, torch::tensor({2}, torch::kInt64)), c10::Error);
}

TEST(LabeledImagesTest, SizeOfEmpty) { EXPECT_EQ(LabeledImages{}.size(), 0); }

TEST(LabeledImagesTest, FilterClassesKeepsOrderAndLabels) {
  const LabeledImages data = MakeData({0, 3, 1, 3, 2, 0});
  const LabeledImages f = FilterClasses(data, {3, 0});
  EXPECT_EQ(ToVector(f.labels), (std::vector<int64_t>{0, 3, 3, 0}));
  EXPECT_EQ(Ids(f.images), (std::vector<int64_t>{0, 1, 3, 5}));
  EXPECT_EQ(FilterClasses(data, {9}).size(), 0);
  EXPECT_EQ(FilterClasses(data, {}).size(), 0);
}

TEST(LabeledImagesTest, TakeFractionPerClassCountsOrderAndSeed) {
  // 10 of class 2, 4 of class 0, 6 of class 1, interleaved.
  std::vector<int64_t> labels;
  for (int i = 0; i < 10; ++i) labels.push_back(2);
  for (int i = 0; i < 4; ++i) labels.push_back(0);
  for (int i = 0; i < 6; ++i) labels.push_back(1);
  std::vector<int64_t> shuffled(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) shuffled[(i * 7) % labels.size()] = labels[i];
  const LabeledImages data = MakeData(shuffled);

  const LabeledImages half = TakeFractionPerClass(data, 0.5, 42);
  // round(0.5 * 4) = 2, round(0.5 * 6) = 3, round(0.5 * 10) = 5; ordered by class.
  EXPECT_EQ(ToVector(half.labels), (std::vector<int64_t>{0, 0, 1, 1, 1, 2, 2, 2, 2, 2}));
  // Every image row is a distinct original item with the right label.
  const std::vector<int64_t> ids = Ids(half.images);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), ids.size());
  for (size_t k = 0; k < ids.size(); ++k) EXPECT_EQ(shuffled[ids[k]], ToVector(half.labels)[k]);

  // Same seed, same subset; another seed, another subset (with overwhelming probability).
  EXPECT_TRUE(torch::equal(TakeFractionPerClass(data, 0.5, 42).images, half.images));
  EXPECT_FALSE(torch::equal(TakeFractionPerClass(data, 0.5, 43).images, half.images));

  EXPECT_EQ(TakeFractionPerClass(data, 1.0, 1).size(), 20);
  EXPECT_EQ(TakeFractionPerClass(data, 0.0, 1).size(), 0);
  EXPECT_THROW(TakeFractionPerClass(data, 1.5, 1), c10::Error);
}

TEST(LabeledImagesTest, TakeFractionPerClassIsRandomWithinClass) {
  // With 200 items of one class, the first pick over many seeds must not always be the same item.
  const LabeledImages data = MakeData(std::vector<int64_t>(200, 7));
  std::map<int64_t, int> first;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const LabeledImages s = TakeFractionPerClass(data, 0.1, seed);
    ASSERT_EQ(s.size(), 20);
    ++first[s.images[0][0][0][0].item<float>()];
  }
  EXPECT_GT(first.size(), 10u);
}

}  // namespace
}  // namespace repro
