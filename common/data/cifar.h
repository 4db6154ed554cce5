// Readers for the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009,
// https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records of label byte(s) followed by a
// 32x32 RGB image stored plane by plane (1024 R, 1024 G, 1024 B bytes, rows top to bottom).
//   CIFAR-10 (data_batch_1..5.bin, test_batch.bin): <label 0-9> <3072 pixel bytes>
//   CIFAR-100 (train.bin, test.bin): <coarse label 0-19> <fine label 0-99> <3072 pixel bytes>
#ifndef COMMON_DATA_CIFAR_H_
#define COMMON_DATA_CIFAR_H_

#include <string>
#include <string_view>

#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"

namespace repro {

inline constexpr const char* kCifar10ClassNames[10] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

// Which CIFAR-100 label a reader returns: the 100 classes or the 20 superclasses.
enum class CifarLabels { kFine, kCoarse };

struct CifarSplits {
  LabeledImages train;  // images [50000, 3, 32, 32] float32 in [0, 1], labels [50000] int64
  LabeledImages test;   // images [10000, 3, 32, 32], labels [10000]
};

// Decode records already in memory; `source` names them in error messages. Errors: no records, a
// size that is not a whole number of records, a label out of range (naming the record).
absl::StatusOr<LabeledImages> DecodeCifar10(std::string_view bytes, const std::string& source);
absl::StatusOr<LabeledImages> DecodeCifar100(std::string_view bytes, const std::string& source,
                                             CifarLabels labels = CifarLabels::kFine);

// Read one binary file (gzip-compressed files are decoded too). Besides the decode errors: a
// missing or unreadable file.
absl::StatusOr<LabeledImages> ReadCifar10File(const std::string& path);
absl::StatusOr<LabeledImages> ReadCifar100File(const std::string& path,
                                               CifarLabels labels = CifarLabels::kFine);

// Load a whole data set from the folder of the extracted binary archive (cifar-10-batches-bin/,
// cifar-100-binary/) or the folder that holds it. Train = data_batch_1..5.bin in order (CIFAR-10),
// train.bin (CIFAR-100); test = test_batch.bin / test.bin. A missing file gives "CIFAR-10 not found
// at <path>; ..." with where to get it.
absl::StatusOr<CifarSplits> LoadCifar10(const std::string& dir);
absl::StatusOr<CifarSplits> LoadCifar100(const std::string& dir,
                                         CifarLabels labels = CifarLabels::kFine);

}  // namespace repro

#endif  // COMMON_DATA_CIFAR_H_
