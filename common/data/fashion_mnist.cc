#include "common/data/fashion_mnist.h"

#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/data/idx.h"
#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"

namespace repro {
namespace {

// The path of `name` in `dir`: `name`.gz if present, else the raw `name`.
absl::StatusOr<std::string> FindFile(const std::string& dir, const std::string& name) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  std::error_code ec;
  for (const std::string& candidate : {base.string() + ".gz", base.string()}) {
    if (std::filesystem::exists(candidate, ec)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("Fashion-MNIST not found at ", base.string(),
                   ".gz; install Debian package dataset-fashion-mnist or pass "
                   "--fashion_mnist_dir"));
}

absl::StatusOr<torch::Tensor> ReadPart(const std::string& path) {
  auto tensor = ReadIdxFile(path);
  if (!tensor.ok()) {
    return absl::Status(tensor.status().code(),
                        absl::StrCat("Fashion-MNIST: ", tensor.status().message()));
  }
  return tensor;
}

// One split from its raw uint8 tensors, checked.
absl::StatusOr<LabeledImages> MakeSplit(const torch::Tensor& images, const std::string& images_path,
                                        const torch::Tensor& labels,
                                        const std::string& labels_path) {
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 3 || images.size(1) != 28 ||
      images.size(2) != 28) {
    return absl::InvalidArgumentError(
        absl::StrCat("Fashion-MNIST: ", images_path, " holds ", c10::toString(images.scalar_type()),
                     " [", absl::StrJoin(images.sizes(), ", "), "], expected uint8 [N, 28, 28]"));
  }
  if (labels.scalar_type() != torch::kUInt8 || labels.dim() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Fashion-MNIST: ", labels_path, " holds ", c10::toString(labels.scalar_type()),
                     " [", absl::StrJoin(labels.sizes(), ", "), "], expected uint8 [N]"));
  }
  if (labels.size(0) != images.size(0)) {
    return absl::InvalidArgumentError(absl::StrCat("Fashion-MNIST: ", images_path, " has ",
                                                   images.size(0), " images but ", labels_path,
                                                   " has ", labels.size(0), " labels"));
  }
  if (labels.numel() > 0) {
    const int max_label = labels.max().item<int>();
    if (max_label >= kFashionMnistNumClasses) {
      return absl::InvalidArgumentError(absl::StrCat("Fashion-MNIST: ", labels_path, " has label ",
                                                     max_label,
                                                     ", outside 0-9; the file is damaged"));
    }
  }
  LabeledImages split;
  // to() then div_() runs two vectorised passes; a fused div_out with the cast inside is slower.
  split.images = images.unsqueeze(1).to(torch::kFloat32).div_(255.0f);
  split.labels = labels.to(torch::kInt64);
  return split;
}

absl::StatusOr<LabeledImages> LoadSplit(const std::string& images_path,
                                        const std::string& labels_path) {
  ASSIGN_OR_RETURN(const torch::Tensor images, ReadPart(images_path));
  ASSIGN_OR_RETURN(const torch::Tensor labels, ReadPart(labels_path));
  return MakeSplit(images, images_path, labels, labels_path);
}

}  // namespace

absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir) {
  ASSIGN_OR_RETURN(const std::string train_images, FindFile(dir, "train-images-idx3-ubyte"));
  ASSIGN_OR_RETURN(const std::string train_labels, FindFile(dir, "train-labels-idx1-ubyte"));
  ASSIGN_OR_RETURN(const std::string test_images, FindFile(dir, "t10k-images-idx3-ubyte"));
  ASSIGN_OR_RETURN(const std::string test_labels, FindFile(dir, "t10k-labels-idx1-ubyte"));

  // The training split dominates (inflating 26 MB, then 188 MB of floats): it loads on its own
  // thread while this one loads the test split.
  absl::StatusOr<LabeledImages> train = absl::UnknownError("not loaded");
  std::thread train_loader([&] { train = LoadSplit(train_images, train_labels); });
  absl::StatusOr<LabeledImages> test = LoadSplit(test_images, test_labels);
  train_loader.join();
  RETURN_IF_ERROR(train.status());
  RETURN_IF_ERROR(test.status());
  return FashionMnist{*std::move(train), *std::move(test)};
}

}  // namespace repro
