// Fashion-MNIST (Xiao et al. 2017): 70,000 28x28 grey images of 10 clothing classes, 60,000 for
// training and 10,000 for testing, read from the IDX files of Debian's dataset-fashion-mnist
// package.
#ifndef COMMON_DATA_FASHION_MNIST_H_
#define COMMON_DATA_FASHION_MNIST_H_

#include <string>

#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"

namespace repro {

// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

inline constexpr int kFashionMnistNumClasses = 10;

// Label index -> class name, as in the data set's README.
inline constexpr const char* kFashionMnistClassNames[kFashionMnistNumClasses] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct FashionMnist {
  LabeledImages
      train;  // images [60000, 1, 28, 28] float32 in [0, 1], labels [60000] int64 in [0, 10)
  LabeledImages test;  // images [10000, 1, 28, 28], labels [10000]
};

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte, each gzip-compressed (.gz) or raw, from
// `dir`. Errors: a missing file ("Fashion-MNIST not found at <path>; install Debian package
// dataset-fashion-mnist or pass --fashion_mnist_dir"), a corrupt file (bad IDX or gzip), images
// that are not [N, 28, 28] uint8, a label count that differs from the image count, a label outside
// 0-9.
absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir = kFashionMnistDir);

}  // namespace repro

#endif  // COMMON_DATA_FASHION_MNIST_H_
