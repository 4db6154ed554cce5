#include "common/train/batch_iterator.h"

#include <algorithm>

#include "common/train/seed.h"

namespace repro {
namespace {

constexpr uint64_t kShuffleStream = 0x5348554646ULL;  // "SHUFF"

}  // namespace

BatchIterator::BatchIterator(const LabeledImages& data, const BatchIteratorOptions& options)
    : images_(data.images), labels_(data.labels), options_(options), size_(data.size()) {
  TORCH_CHECK(options_.batch_size > 0, "BatchIterator: batch_size must be positive, got ",
              options_.batch_size);
  TORCH_CHECK(images_.defined() && labels_.defined() && images_.size(0) == size_,
              "BatchIterator: images and labels must have the same number of rows");
  TORCH_CHECK(size_ > 0, "BatchIterator: the data set is empty");
  batches_per_epoch_ = options_.drop_last
                           ? size_ / options_.batch_size
                           : (size_ + options_.batch_size - 1) / options_.batch_size;
  TORCH_CHECK(batches_per_epoch_ > 0, "BatchIterator: ", size_,
              " items give no full batch of ", options_.batch_size, " with drop_last");
  // A contiguous source makes index_select one memcpy per row.
  images_ = images_.contiguous();
  labels_ = labels_.contiguous();
}

torch::Tensor BatchIterator::Permutation(int64_t epoch) const {
  if (!options_.shuffle) return torch::arange(size_, torch::kLong);
  torch::Generator generator = MakeGenerator(options_.seed, kShuffleStream, epoch);
  return torch::randperm(size_, generator, torch::kLong);
}

Batch BatchIterator::Get(int64_t epoch, int64_t index) {
  TORCH_CHECK(epoch >= 0 && index >= 0 && index < batches_per_epoch_,
              "BatchIterator: batch ", index, " of epoch ", epoch, " is out of range (",
              batches_per_epoch_, " batches per epoch)");
  if (epoch != cached_epoch_) {
    cached_permutation_ = Permutation(epoch);
    cached_epoch_ = epoch;
  }
  const int64_t begin = index * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, size_ - begin);
  Batch batch;
  batch.indices = cached_permutation_.narrow(0, begin, count);
  batch.images = images_.index_select(0, batch.indices);
  batch.labels = labels_.index_select(0, batch.indices);
  return batch;
}

Batch BatchIterator::AtStep(int64_t step) {
  TORCH_CHECK(step >= 0, "BatchIterator: step must be >= 0, got ", step);
  return Get(step / batches_per_epoch_, step % batches_per_epoch_);
}

}  // namespace repro
