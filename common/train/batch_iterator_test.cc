#include "common/train/batch_iterator.h"

#include <set>

#include "gtest/gtest.h"

namespace repro {
namespace {

LabeledImages Numbered(int64_t n) {
  LabeledImages data;
  // Image i is filled with the value i, so a batch's rows tell which items it holds.
  data.images = torch::arange(n, torch::kFloat).view({n, 1, 1, 1}).expand({n, 1, 2, 3}).contiguous();
  data.labels = torch::arange(n, torch::kLong) % 3;
  return data;
}

TEST(BatchIteratorTest, EachEpochVisitsEveryItemOnce) {
  const LabeledImages data = Numbered(10);
  BatchIteratorOptions o;
  o.batch_size = 4;
  o.seed = 5;
  BatchIterator batches(data, o);
  EXPECT_EQ(batches.batches_per_epoch(), 3);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::multiset<int64_t> seen;
    for (int64_t b = 0; b < 3; ++b) {
      const Batch batch = batches.Get(epoch, b);
      EXPECT_EQ(batch.images.size(0), b < 2 ? 4 : 2);
      for (int64_t i = 0; i < batch.images.size(0); ++i) {
        const int64_t item = batch.indices[i].item<int64_t>();
        seen.insert(item);
        // The rows are the data set's rows.
        EXPECT_EQ(batch.images[i][0][1][2].item<float>(), static_cast<float>(item));
        EXPECT_EQ(batch.labels[i].item<int64_t>(), item % 3);
      }
    }
    EXPECT_EQ(seen, std::multiset<int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  }
}

TEST(BatchIteratorTest, SeededAndStatelessAcrossInstances) {
  const LabeledImages data = Numbered(50);
  BatchIteratorOptions o;
  o.batch_size = 8;
  o.seed = 11;
  BatchIterator a(data, o), b(data, o);
  // Random access in a different order gives the same batches.
  const Batch late = a.AtStep(13);
  a.AtStep(0);
  EXPECT_TRUE(torch::equal(b.AtStep(13).indices, late.indices));
  EXPECT_TRUE(torch::equal(a.Permutation(2), b.Permutation(2)));
  EXPECT_FALSE(torch::equal(a.Permutation(0), a.Permutation(1)));
  o.seed = 12;
  EXPECT_FALSE(torch::equal(BatchIterator(data, o).Permutation(0), a.Permutation(0)));
  // Step 13 with 7 batches per epoch is batch 6 of epoch 1.
  EXPECT_TRUE(torch::equal(a.Get(1, 6).indices, late.indices));
}

TEST(BatchIteratorTest, DropLastAndNoShuffle) {
  const LabeledImages data = Numbered(10);
  BatchIteratorOptions o;
  o.batch_size = 4;
  o.drop_last = true;
  o.shuffle = false;
  BatchIterator batches(data, o);
  EXPECT_EQ(batches.batches_per_epoch(), 2);
  EXPECT_TRUE(torch::equal(batches.Get(3, 1).indices, torch::arange(4, 8, torch::kLong)));
  EXPECT_THROW(batches.Get(0, 2), c10::Error);
  o.batch_size = 11;
  EXPECT_THROW(BatchIterator(data, o), c10::Error);
}

}  // namespace
}  // namespace repro
