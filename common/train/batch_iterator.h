// Seeded mini-batches over an in-memory LabeledImages: epoch e is a permutation drawn from a
// generator seeded with (seed, e), and batch b of it is gathered with one index_select per tensor
// (no per-sample copies), so the data path costs a training step almost nothing.
//
// Batches are addressed by (epoch, index) or by the global step, with no hidden state: a resumed
// run gets exactly the batches the uninterrupted run would have seen.
//
//   BatchIteratorOptions o;
//   o.batch_size = 128; o.seed = 1;
//   BatchIterator batches(train, o);
//   for (int64_t step = start; step < total; ++step) {
//     Batch batch = batches.AtStep(step);  // images [128, C, H, W], labels [128]
//   }
#ifndef COMMON_TRAIN_BATCH_ITERATOR_H_
#define COMMON_TRAIN_BATCH_ITERATOR_H_

#include <cstdint>

#include "common/data/labeled_images.h"
#include "common/port/torch.h"

namespace repro {

struct BatchIteratorOptions {
  int64_t batch_size = 128;
  bool shuffle = true;     // false: the data order, every epoch
  bool drop_last = false;  // drop the last, smaller batch of each epoch
  uint64_t seed = 0;
};

struct Batch {
  torch::Tensor images;   // [B, C, H, W]
  torch::Tensor labels;   // [B] int64
  torch::Tensor indices;  // [B] int64, rows of the data set
};

class BatchIterator {
 public:
  // `data` must outlive the iterator (its tensors are shared, not copied).
  BatchIterator(const LabeledImages& data, const BatchIteratorOptions& options);

  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  int64_t size() const { return size_; }

  // Batch `index` (0-based, < batches_per_epoch()) of `epoch`.
  Batch Get(int64_t epoch, int64_t index);
  // Batch of the global step: epoch = step / batches_per_epoch, index = step % batches_per_epoch.
  Batch AtStep(int64_t step);

  // The row order of `epoch` ([N] int64).
  torch::Tensor Permutation(int64_t epoch) const;

 private:
  torch::Tensor images_;
  torch::Tensor labels_;
  BatchIteratorOptions options_;
  int64_t size_ = 0;
  int64_t batches_per_epoch_ = 0;
  int64_t cached_epoch_ = -1;
  torch::Tensor cached_permutation_;
};

}  // namespace repro

#endif  // COMMON_TRAIN_BATCH_ITERATOR_H_
